// What the plan costs and how the patient can pay: the estimate line by line with its limits explained,
// pay in full, an in-house installment calculator (the API computes the schedule), financing offers, phasing.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Estimate, PaymentOptions, PaymentPlan, PhasingProposal, Plan } from "../api/types";
import { day, money, percent, words } from "../format";
import { Empty, ErrorNote, Field, Section, Show, useAction, useLoad } from "../ui";

export const LIMITS: Record<string, string> = {
  excluded: "The insurance excludes this procedure, so it pays nothing for it.",
  age: "The patient is past the insurance's age limit for this procedure.",
  waiting_period: "The insurance's waiting period for this kind of treatment has not ended.",
  frequency: "The insurance already paid for this as often as it allows in the period.",
  alternate_benefit: "The insurance pays as for a less costly alternative; the difference is the patient's.",
  copay: "A fixed copay applies to this procedure.",
  deductible: "Part of the yearly deductible is taken from this procedure first.",
  code_max: "The insurance's yearly maximum for this procedure is reached.",
  annual_max: "The yearly maximum is reached or nearly reached, which caps what insurance pays.",
  ortho_max: "The lifetime orthodontic maximum is reached.",
  cob: "The second insurance pays only what is left after the first (coordination of benefits).",
};

export function explain(limit: string): string {
  return LIMITS[limit] ?? words(limit);
}

export function EstimateTable({ planId, version }: { planId: string; version: number }) {
  const [load] = useLoad(() => ok<Estimate>(api().GET("/plans/{plan_id}/estimate", { params: { path: { plan_id: planId } } })),
    [planId, version]);
  return (
    <Section title="Insurance estimate" wide>
      <Show load={load} what="the estimate">
        {(estimate) => estimate.lines.length === 0 ? <Empty>No procedure to estimate.</Empty> : (
          <>
            <p class="muted">{estimate.frozen ? `Frozen with quote ${estimate.quote_number}` : "Fresh estimate (not yet presented)"}</p>
            <div class="table-wrap" tabIndex={0}>
              <table class="estimate">
                <thead><tr><th>Code</th><th class="num">Fee</th><th class="num">Write-off</th><th class="num">Deductible</th>
                  <th class="num">Insurance</th><th class="num">Patient</th><th>Why</th></tr></thead>
                <tbody>
                  {estimate.lines.map((line, i) => (
                    <tr key={`${line.line_id}-${line.code}-${i}`}>
                      <td><strong>{line.code}</strong> <span class="muted">{words(line.category ?? "")}</span></td>
                      <td class="num">{money(line.fee_cents)}</td>
                      <td class="num">{money(line.writeoff_cents)}</td>
                      <td class="num">{money(line.deductible_cents)}</td>
                      <td class="num">{money(line.insurance_cents)}</td>
                      <td class="num">{money(line.patient_cents)}</td>
                      <td>
                        {(line.reasons?.length ? line.reasons : line.limits.map(explain)).map((text) => <p key={text} class="reason">{text}</p>)}
                        {line.by_coverage?.map((share) => (
                          <p key={share.rank} class="reason muted">{share.rank === 1 ? "Primary" : "Secondary"}: {money(share.insurance_cents)}
                            {share.limits.length ? ` (${share.limits.map(words).join(", ")})` : ""}</p>
                        ))}
                        {!line.limits.length && !line.reasons?.length && <span class="muted">No limit applies</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr><th scope="row">Total</th><td class="num">{money(estimate.totals.fee_cents)}</td>
                    <td class="num">{money(estimate.totals.writeoff_cents)}</td><td class="num">{money(estimate.totals.deductible_cents)}</td>
                    <td class="num">{money(estimate.totals.insurance_cents)}</td><td class="num">{money(estimate.totals.patient_cents)}</td>
                    <td>{estimate.totals.by_coverage?.map((c) => (
                      <p key={c.rank} class="reason">{c.rank === 1 ? "Primary" : "Secondary"}{c.carrier ? ` (${c.carrier})` : ""}:
                        {" "}yearly maximum left after this plan {money(c.remaining_annual_max_cents)}, deductible left
                        {" "}{money(c.remaining_deductible_cents)}</p>
                    ))}</td></tr>
                </tfoot>
              </table>
            </div>
          </>
        )}
      </Show>
    </Section>
  );
}

function Schedule({ plan }: { plan: PaymentPlan }) {
  const schedule = plan.schedule;
  const rows = schedule.installments;
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        <caption>Installment schedule: {schedule.count} {schedule.frequency} payments, {money(schedule.financed_cents)} financed
          after {money(schedule.down_payment_cents)} down, interest {money(schedule.interest_cents)}
          {plan.signature ? `, signed by ${plan.signature.signer_name}` : ", not signed yet"}</caption>
        <thead><tr><th>#</th><th>Due</th><th class="num">Amount</th></tr></thead>
        <tbody>{rows.map((row, i) => <tr key={i}><td>{row.number}</td><td>{day(row.due_date)}</td>
          <td class="num">{money(row.amount_cents)}</td></tr>)}</tbody>
      </table>
    </div>
  );
}

function Calculator({ planId, portion, current }: { planId: string; portion: number; current: PaymentPlan | null }) {
  const [down, setDown] = useState("0");
  const [count, setCount] = useState("6");
  const [frequency, setFrequency] = useState("monthly");
  const [apr, setApr] = useState("0");
  const [result, setResult] = useState<PaymentPlan | null>(current);
  const [busy, error, run] = useAction();
  const calculate = (event: Event) => {
    event.preventDefault();
    run(async () => {
      const doc = await ok<PaymentPlan>(api().POST("/plans/{plan_id}/payment-plan", {
        params: { path: { plan_id: planId } },
        body: { down_payment_cents: Math.round(Number(down) * 100), count: Number(count),
          frequency: frequency as "monthly", apr_bps: Math.round(Number(apr) * 100) },
      }));
      setResult(doc);
    });
  };
  return (
    <form class="calculator" onSubmit={calculate} aria-label="Installment calculator">
      <h3>In-house installment plan</h3>
      <p class="muted">Patient portion {money(portion)}. Setting terms replaces earlier unsigned ones.</p>
      <div class="inline-fields">
        <Field label="Down payment ($)">{(id) => <input id={id} inputMode="decimal" value={down} onInput={(e) => setDown(e.currentTarget.value)} />}</Field>
        <Field label="Installments">{(id) => <input id={id} type="number" min={1} max={72} value={count} onInput={(e) => setCount(e.currentTarget.value)} />}</Field>
        <Field label="Every">{(id) => (
          <select id={id} value={frequency} onChange={(e) => setFrequency(e.currentTarget.value)}>
            <option value="monthly">Month</option><option value="biweekly">Two weeks</option>
          </select>)}</Field>
        <Field label="APR (%)">{(id) => <input id={id} inputMode="decimal" value={apr} onInput={(e) => setApr(e.currentTarget.value)} />}</Field>
      </div>
      <button type="submit" disabled={busy}>Calculate and set terms</button>
      {error && <ErrorNote error={error} />}
      {result && <Schedule plan={result} />}
    </form>
  );
}

export function PaymentOptionsPanel({ plan }: { plan: Plan }) {
  const [load] = useLoad(() => ok<PaymentOptions>(api().GET("/plans/{plan_id}/payment-options", {
    params: { path: { plan_id: plan.id } } })), [plan.id, plan.version]);
  return (
    <Section title="Payment options" wide>
      {plan.status === "draft" ? <Empty>Present the plan to see its payment options.</Empty> : (
        <Show load={load} what="payment options">
          {(options) => (
            <div class="options">
              {options.pay_in_full && (
                <div class="option">
                  <h3>Pay in full</h3>
                  <p class="big">{money(options.pay_in_full.amount_cents)}</p>
                  <p>{options.pay_in_full.discount_pct}% off ({money(options.pay_in_full.discount_cents)} saved) of {money(options.patient_portion_cents)}</p>
                </div>
              )}
              <div class="option">
                <h3>Installments offered</h3>
                <ul class="plain-list">
                  {options.in_house.map((o, i) => (
                    <li key={i}>{o.count} × {money(o.installment_cents)} {o.frequency} after {money(o.down_payment_cents)} down
                      {o.apr_bps ? ` (${percent(o.apr_bps / 10000)} APR, interest ${money(o.interest_cents)})` : " (no interest)"}; total {money(o.total_cost_cents)}</li>
                  ))}
                </ul>
              </div>
              <div class="option">
                <h3>Financing</h3>
                <ul class="plain-list">
                  {options.financing.map((f, i) => (
                    <li key={i} class={f.eligible ? "" : "muted"}>
                      <strong>{f.name}</strong> {f.months} months, about {money(f.estimated_monthly_cents)}/month
                      {f.deferred_interest && <span class="badge badge-warning">Deferred interest</span>}
                      <br /><small>{f.label}{f.eligible ? "" : ` (from ${money(f.min_amount_cents)})`}</small>
                    </li>
                  ))}
                </ul>
              </div>
              <Calculator planId={plan.id} portion={options.patient_portion_cents} current={options.payment_plan ?? null} />
            </div>
          )}
        </Show>
      )}
    </Section>
  );
}

export function PhasingPanel({ plan, onApplied }: { plan: Plan; onApplied: () => void }) {
  const path = { path: { plan_id: plan.id } };
  const [load] = useLoad(() => ok<PhasingProposal>(api().GET("/plans/{plan_id}/phasing", { params: path })),
    [plan.id, plan.version]);
  const [busy, error, run] = useAction();
  const apply = () => run(() => ok(api().POST("/plans/{plan_id}/phasing", { params: path, body: { version: plan.version } })))
    .then((done) => done && onApplied());
  return (
    <Section title="Phasing across benefit years">
      <Show load={load} what="the phasing proposal">
        {(p) => (
          <>
            <p>All now: insurance {money(p.all_now.insurance_cents)}, patient {money(p.all_now.patient_cents)}.
              Phased: insurance {money(p.phased.insurance_cents)}, patient {money(p.phased.patient_cents)}.
              <strong> {p.saving_cents > 0 ? `Phasing saves the patient ${money(p.saving_cents)}.`
                : "Doing it all now costs the patient no more."}</strong></p>
            <div class="table-wrap" tabIndex={0}>
              <table class="phasing">
                <caption class="sr-only">Each phase in the proposal</caption>
                <thead><tr><th>Phase</th><th>When</th><th class="num">Insurance</th><th class="num">Patient</th></tr></thead>
                <tbody>
                  {p.phased.phases.map((ph) => (
                    <tr key={ph.name}>
                      <td>{ph.name}</td>
                      <td>{ph.deferred ? `Deferred: from ${day(ph.earliest_date)} (next benefit year)` : "This benefit year"}</td>
                      <td class="num">{money(ph.insurance_cents)}</td><td class="num">{money(ph.patient_cents)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {p.saving_cents > 0 && <button type="button" disabled={busy} onClick={apply}>Apply phasing (new version)</button>}
            {error && <ErrorNote error={error} />}
          </>
        )}
      </Show>
    </Section>
  );
}
