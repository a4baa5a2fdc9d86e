import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Page, Patient, Plan } from "../api/types";
import { useConsole } from "../context";
import { dateTime, money, words } from "../format";
import { href } from "../router";
import { Empty, ErrorNote, Field, Section, Show, Status, useAction, useLoad } from "../ui";
import { PlanBuilder } from "./PlanBuilder";
import { EstimateTable, PaymentOptionsPanel, PhasingPanel } from "./PlanMoney";

const DECLINE_REASONS = ["cost", "insurance", "time", "second_opinion", "fear", "other"];

type SigningLink = { url: string; channel: string; expires_at: string; version: number; message_id?: string };

function Steps({ plan }: { plan: Plan }) {
  return (
    <Section title={`Phases and steps (version ${plan.version})`}>
      {plan.phases.map((phase, pi) => (
        <div key={pi} class="phase-view">
          <h3>{phase.name}</h3>
          <ol>
            {phase.steps.map((step) => (
              <li key={step.id}>
                <Status value={step.status} />{" "}
                {step.procedures.map((p) => `${p.code}${p.tooth ? ` #${p.tooth}` : ""}${p.surfaces ? ` ${p.surfaces}` : ""} (${money(p.fee_cents)})`).join(", ")}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </Section>
  );
}

function Decision({ plan, patient, onChanged }: { plan: Plan; patient: Patient | null; onChanged: (plan: Plan) => void }) {
  const { zoneOf } = useConsole();
  const [signer, setSigner] = useState(patient ? `${patient.first_name} ${patient.last_name}` : "");
  const [reason, setReason] = useState("cost");
  const [link, setLink] = useState<SigningLink | null>(null);
  const [channel, setChannel] = useState<"email" | "sms">("email");
  const [busy, error, run] = useAction();
  const path = { params: { path: { plan_id: plan.id } } };
  const present = () => run(async () => onChanged(await ok<Plan>(api().POST("/plans/{plan_id}/present", { ...path, body: {} }))));
  const accept = () => run(async () => onChanged(await ok<Plan>(api().POST("/plans/{plan_id}/accept", {
    ...path, body: { signer_name: signer, version: plan.presented_version ?? plan.version } }))));
  const decline = () => run(async () => onChanged(await ok<Plan>(api().POST("/plans/{plan_id}/decline", {
    ...path, body: { reason: reason as never } }))));
  const sendLink = () => run(async () => setLink(await ok<SigningLink>(api().POST("/plans/{plan_id}/signing-link", {
    ...path, body: { channel } }))));
  return (
    <Section title="Present, accept or decline">
      <p>Status <Status value={plan.status} />
        {plan.presented_at && <> · presented {dateTime(plan.presented_at, zoneOf(plan.location_id))}</>}
        {plan.expires_at && plan.status === "presented" && <> · quote expires {dateTime(plan.expires_at, zoneOf(plan.location_id))}</>}
        {plan.acceptance && <> · signed by {plan.acceptance.signer_name}</>}</p>
      <div class="actions">
        {["draft", "presented"].includes(plan.status) && (
          <button type="button" class="primary" disabled={busy} onClick={present}>
            {plan.status === "draft" ? "Present the plan" : "Present this version again"}</button>
        )}
      </div>
      {plan.status === "presented" && (
        <div class="decision">
          <div class="option">
            <h3>Send the patient a link to sign</h3>
            <p class="muted">With the patient's consent to that channel about treatment; the link works once for
              this version. A text carries only the practice, its phone and the link.</p>
            <Field label="Send by">
              {(id) => (
                <select id={id} value={channel} onChange={(e) => setChannel(e.currentTarget.value as "email" | "sms")}>
                  <option value="email">Email</option><option value="sms">Text message (SMS)</option>
                </select>
              )}
            </Field>
            <button type="button" disabled={busy} onClick={sendLink}>Send signing link</button>
            {link && (
              <p role="status">Link sent by {link.channel === "sms" ? "text message" : "email"} for version
                {" "}{link.version}; it expires
                {" "}{dateTime(link.expires_at, zoneOf(plan.location_id))}. <a href={link.url} target="_blank" rel="noopener">Open the patient's page</a></p>
            )}
          </div>
          <div class="option">
            <h3>Signed in the office</h3>
            <Field label="Signer's name">{(id) => <input id={id} value={signer} onInput={(e) => setSigner(e.currentTarget.value)} />}</Field>
            <button type="button" disabled={busy || !signer} onClick={accept}>Record acceptance of every step</button>
          </div>
          <div class="option">
            <h3>Declined</h3>
            <Field label="Reason">{(id) => (
              <select id={id} value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
                {DECLINE_REASONS.map((r) => <option key={r} value={r}>{words(r)}</option>)}
              </select>)}</Field>
            <button type="button" disabled={busy} onClick={decline}>Record decline</button>
          </div>
        </div>
      )}
      {["accepted", "partially_accepted", "scheduled", "in_progress"].includes(plan.status) && (
        <p><a class="button primary" href={href("schedule", { location: plan.location_id, plan: plan.id, patient: plan.patient_id })}>
          Book the accepted steps</a></p>
      )}
      {error && <ErrorNote error={error} />}
    </Section>
  );
}

function Alternatives({ plan }: { plan: Plan }) {
  const [load] = useLoad(() => ok<Page<Plan>>(api().GET("/plans", { params: { query: { patient_id: plan.patient_id } } })),
    [plan.patient_id, plan.version]);
  return (
    <Section title="Alternatives side by side"
      actions={<a class="button" href={href("plans/new", { patient: plan.patient_id, alternative_to: plan.id })}>Add an alternative</a>}>
      <Show load={load} what="alternatives">
        {(page) => {
          const group = plan.option_group ?? plan.id;
          const options = page.items.filter((p) => p.id === plan.id || (p.option_group ?? p.id) === group);
          return options.length < 2 ? <Empty>No alternative for this diagnosis yet.</Empty> : (
            <div class="side-by-side">
              {options.map((o) => (
                <div key={o.id} class={`option ${o.id === plan.id ? "current" : ""}`}>
                  <h3><a href={href(`plans/${o.id}`)}>{o.option_label || o.phases[0]?.name}</a></h3>
                  <Status value={o.status} />
                  <dl class="facts">
                    <dt>Fees</dt><dd>{money(o.totals.fee_cents)}</dd>
                    <dt>Insurance</dt><dd>{money(o.totals.insurance_cents)}</dd>
                    <dt>Patient</dt><dd>{money(o.totals.patient_cents)}</dd>
                  </dl>
                </div>
              ))}
            </div>
          );
        }}
      </Show>
    </Section>
  );
}

function NewPlan({ query }: { query: URLSearchParams }) {
  const patientId = query.get("patient") ?? "";
  const [load] = useLoad(() => ok<Patient>(api().GET("/patients/{patient_id}", { params: { path: { patient_id: patientId } } })),
    [patientId]);
  return (
    <Show load={load} what="the patient">
      {(patient) => (
        <>
          <h1>New plan for {patient.first_name} {patient.last_name}</h1>
          <PlanBuilder plan={null} patientId={patient.id} locationId={patient.location_id} alternativeTo={query.get("alternative_to")} />
        </>
      )}
    </Show>
  );
}

export function PlanScreen({ planId, query }: { planId: string | null; query: URLSearchParams }) {
  const [edited, setEdited] = useState<Plan | null>(null);
  const [editing, setEditing] = useState(false);
  const [load, reload] = useLoad(() => ok<Plan>(api().GET("/plans/{plan_id}", { params: { path: { plan_id: planId ?? "" } } })),
    [planId]);
  const [patient] = useLoad(() => load.state === "ok"
    ? ok<Patient>(api().GET("/patients/{patient_id}", { params: { path: { patient_id: load.data.patient_id } } }))
    : new Promise<Patient>(() => {}), [load.state === "ok" ? load.data.patient_id : ""]);
  if (!planId) return <NewPlan query={query} />;
  return (
    <Show load={load} what="the plan">
      {(loaded) => {
        const plan = edited && edited.id === loaded.id && edited.version >= loaded.version ? edited : loaded;
        const who = patient.state === "ok" ? patient.data : null;
        const changed = (next: Plan) => { setEdited(next); setEditing(false); };
        return (
          <>
            <h1>Treatment plan{who ? ` for ${who.first_name} ${who.last_name}` : ""}</h1>
            <p><a href={href(`patients/${plan.patient_id}`)}>Back to the patient</a>
              {["draft", "presented"].includes(plan.status) && !editing && (
                <> · <button type="button" class="link" onClick={() => setEditing(true)}>Edit phases and steps</button></>)}</p>
            {editing ? <PlanBuilder plan={plan} patientId={plan.patient_id} locationId={plan.location_id} onSaved={changed} />
              : plan.phases.length === 0 ? <Empty>This plan has no steps.</Empty> : <Steps plan={plan} />}
            <div class="grid">
              <EstimateTable planId={plan.id} version={plan.version} />
              <Decision plan={plan} patient={who} onChanged={changed} />
              <PaymentOptionsPanel plan={plan} />
              <PhasingPanel plan={plan} onApplied={reload} />
              <Alternatives plan={plan} />
            </div>
            {plan.status === "presented" && <p class="muted">Patient's page in {who?.language === "es" ? "Spanish" : "English"}.</p>}
          </>
        );
      }}
    </Show>
  );
}
