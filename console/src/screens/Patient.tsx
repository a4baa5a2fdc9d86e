import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Appointment, Coverage, HistoryItem, Ledger, Message, Page, Patient, Plan } from "../api/types";
import { useConsole } from "../context";
import { dateTime, day, money, words } from "../format";
import { href } from "../router";
import { Empty, ErrorNote, Field, Section, Show, Status, useAction, useLoad } from "../ui";

const PURPOSES = ["appointment", "billing", "treatment"];

function Contacts({ patient }: { patient: Patient }) {
  return (
    <Section title="Contacts and consent">
      <dl class="facts">
        <dt>Phone</dt><dd>{patient.phone ?? "—"} {patient.sms_opted_out && <span class="badge badge-cancelled">SMS opted out</span>}</dd>
        <dt>Email</dt><dd>{patient.email ?? "—"} {patient.email_suppressed && <span class="badge badge-cancelled">email suppressed</span>}</dd>
        <dt>Language</dt><dd>{patient.language}</dd>
      </dl>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <caption class="sr-only">Consent per channel and purpose</caption>
          <thead><tr><th>Channel</th>{PURPOSES.map((p) => <th key={p}>{words(p)}</th>)}</tr></thead>
          <tbody>
            {["email", "sms"].map((channel) => (
              <tr key={channel}>
                <th scope="row">{channel === "sms" ? "SMS" : "Email"}</th>
                {PURPOSES.map((p) => <td key={p}>{(patient.consent as Record<string, Record<string, boolean> | undefined>)[channel]?.[p] ? "Yes" : "No"}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function Coverages({ patientId }: { patientId: string }) {
  const [load] = useLoad(() => ok<Page<Coverage>>(api().GET("/patients/{patient_id}/coverages", {
    params: { path: { patient_id: patientId } } })), [patientId]);
  return (
    <Section title="Coverage and remaining benefits">
      <Show load={load} what="coverage">
        {({ items }) => items.length === 0 ? <Empty>No insurance on file: the patient pays the full fee.</Empty> : (
          <div class="table-wrap" tabIndex={0}>
            <table class="wrap-heads">
              <caption class="sr-only">This benefit year's usage per coverage</caption>
              <thead><tr><th>Rank</th><th>Carrier</th><th class="num">Annual max</th>
                <th class="num">Used + pending</th><th class="num">Remaining</th><th class="num">Deductible left</th></tr></thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.rank}>
                    <td>{c.rank === 1 ? "Primary" : "Secondary"}</td>
                    <td>{c.carrier}<br /><span class="muted">member {c.member_id}</span></td>
                    <td class="num">{money(c.annual_max_cents)}</td>
                    <td class="num">{c.usage ? money(c.usage.used_cents + c.usage.pending_cents) : "—"}</td>
                    <td class="num" data-remaining={c.rank}>{c.usage ? money(c.usage.remaining_annual_max_cents) : "—"}</td>
                    <td class="num">
                      {c.usage ? money(Math.max(0, (c.deductible_cents ?? 0) - c.usage.deductible_met_cents)) : "—"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </Section>
  );
}

function AddHistory({ patientId, onAdded }: { patientId: string; onAdded: () => void }) {
  const [code, setCode] = useState("");
  const [tooth, setTooth] = useState("");
  const [date, setDate] = useState("");
  const [busy, error, run] = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    run(() => ok(api().POST("/patients/{patient_id}/history", {
      params: { path: { patient_id: patientId } },
      body: { items: [{ code: code.trim().toUpperCase(), date, tooth: tooth.trim() || null }] },
    }))).then((done) => {
      if (!done) return;
      setCode(""); setTooth("");
      onAdded();
    });
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Add past treatment">
      <Field label="CDT code">{(id) => <input id={id} class="short" value={code} required
        onInput={(e) => setCode(e.currentTarget.value)} />}</Field>
      <Field label="Tooth (optional)">{(id) => <input id={id} class="short" value={tooth}
        onInput={(e) => setTooth(e.currentTarget.value)} />}</Field>
      <Field label="Date done">{(id) => <input id={id} type="date" value={date} required
        onInput={(e) => setDate(e.currentTarget.value)} />}</Field>
      <button type="submit" disabled={busy}>Add past treatment</button>
      {error && <ErrorNote error={error} />}
    </form>
  );
}

function History({ patientId }: { patientId: string }) {
  const [load, reload] = useLoad(() => ok<Page<HistoryItem>>(api().GET("/patients/{patient_id}/history", {
    params: { path: { patient_id: patientId } } })), [patientId]);
  return (
    <Section title="Treatment history">
      <p class="muted">Past treatment counts against the insurance's frequency limits in every estimate.</p>
      <Show load={load} what="history">
        {(page) => page.items.length === 0 ? <Empty>No past treatment recorded.</Empty> : (
          <ul class="plain-list">
            {page.items.map((h) => <li key={h.id}>{day(h.date)}: {h.code}{h.tooth ? ` #${h.tooth}` : ""} {h.surfaces ?? ""}
              <span class="muted"> ({h.source})</span></li>)}
          </ul>
        )}
      </Show>
      <AddHistory patientId={patientId} onAdded={reload} />
    </Section>
  );
}

function PlanBalance({ planId }: { planId: string }) {
  const [load] = useLoad(() => ok<Ledger>(api().GET("/plans/{plan_id}/ledger", { params: { path: { plan_id: planId } } })),
    [planId]);
  if (load.state !== "ok") return <span class="muted">{load.state === "loading" ? "…" : "—"}</span>;
  return <>{money(load.data.balances.patient_balance_cents ?? 0)}</>;
}

function Plans({ patientId }: { patientId: string }) {
  const [load] = useLoad(() => ok<Page<Plan>>(api().GET("/plans", { params: { query: { patient_id: patientId } } })),
    [patientId]);
  return (
    <Section title="Treatment plans" actions={<a class="button primary" href={href("plans/new", { patient: patientId })}>New plan</a>}>
      <Show load={load} what="plans">
        {(page) => page.items.length === 0 ? <Empty>No treatment plan yet.</Empty> : (
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead><tr><th>Plan</th><th>Status</th><th class="num">Fees</th><th class="num">Insurance</th>
                <th class="num">Patient</th><th class="num">Balance due</th></tr></thead>
              <tbody>
                {page.items.map((p) => (
                  <tr key={p.id}>
                    <td><a href={href(`plans/${p.id}`)}>{p.option_label || p.phases[0]?.name || p.id}</a></td>
                    <td><Status value={p.status} /></td>
                    <td class="num">{money(p.totals?.fee_cents)}</td>
                    <td class="num">{money(p.totals?.insurance_cents)}</td>
                    <td class="num">{money(p.totals?.patient_cents)}</td>
                    <td class="num"><PlanBalance planId={p.id} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </Section>
  );
}

function Appointments({ patientId }: { patientId: string }) {
  const { zoneOf } = useConsole();
  const [load] = useLoad(() => ok<Page<Appointment>>(api().GET("/appointments", {
    params: { query: { patient_id: patientId } } })), [patientId]);
  return (
    <Section title="Appointments">
      <Show load={load} what="appointments">
        {(page) => page.items.length === 0 ? <Empty>No appointment booked.</Empty> : (
          <ul class="plain-list">
            {page.items.map((a) => (
              <li key={a.id}>{dateTime(a.start, a.timezone || zoneOf(a.location_id))} · {a.duration_minutes} min <Status value={a.status} />
                {" "}<a href={href("schedule", { location: a.location_id, date: a.start.slice(0, 10) })}>on the schedule</a></li>
            ))}
          </ul>
        )}
      </Show>
    </Section>
  );
}

export function MessageTable({ messages, zone }: { messages: Message[]; zone: string }) {
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        <thead><tr><th>When</th><th>Kind</th><th>Channel</th><th>Status</th><th>Why</th></tr></thead>
        <tbody>
          {messages.map((m) => (
            <tr key={m.id}>
              <td>{dateTime(m.send_at, zone)}</td>
              <td>{words(m.kind)}</td>
              <td>{m.channel === "sms" ? "SMS" : "Email"}</td>
              <td><Status value={m.status} /></td>
              <td>{m.reason ? words(m.reason) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Messages({ patient }: { patient: Patient }) {
  const { zoneOf } = useConsole();
  const [load] = useLoad(() => ok<Page<Message>>(api().GET("/messages", {
    params: { query: { patient_id: patient.id, limit: 100 } } })), [patient.id]);
  return (
    <Section title="Messages">
      <Show load={load} what="messages">
        {(page) => page.items.length === 0 ? <Empty>No message sent or planned.</Empty>
          : <MessageTable messages={page.items} zone={zoneOf(patient.location_id)} />}
      </Show>
    </Section>
  );
}

export function PatientScreen({ patientId }: { patientId: string }) {
  const [load] = useLoad(() => ok<Patient>(api().GET("/patients/{patient_id}", {
    params: { path: { patient_id: patientId } } })), [patientId]);
  return (
    <Show load={load} what="the patient">
      {(patient) => (
        <>
          <h1>{patient.first_name} {patient.last_name}</h1>
          <p class="muted">Born {day(patient.date_of_birth)}</p>
          <div class="grid">
            <Contacts patient={patient} />
            <Coverages patientId={patient.id} />
            <Plans patientId={patient.id} />
            <Appointments patientId={patient.id} />
            <Messages patient={patient} />
            <History patientId={patient.id} />
          </div>
        </>
      )}
    </Show>
  );
}
