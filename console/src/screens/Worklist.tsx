import { useState } from "preact/hooks";
import { api, ifMatch, ok } from "../api/client";
import type { FollowUp, Opportunity, Page, Patient } from "../api/types";
import { useConsole } from "../context";
import { day, localDate, money, words } from "../format";
import { go, href } from "../router";
import { Empty, ErrorNote, Field, Section, Show, Status, useAction, useLoad } from "../ui";

const KINDS = ["", "no_show", "unscheduled_treatment", "unaccepted_plan", "installment_overdue", "callback",
  "message_failed"];
const OUTCOMES = ["contacted", "left_message", "no_answer", "scheduled", "rebooked", "declined", "not_needed", "other"];
const OPPORTUNITY_KINDS = ["", "unscheduled_steps", "presented", "declined", "expired"];

function LocationPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const { locations } = useConsole();
  return (
    <Field label="Location">
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          {locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
      )}
    </Field>
  );
}
export { LocationPicker };

function FollowUpRow({ task, today, onChanged }: { task: FollowUp; today: string; onChanged: () => void }) {
  const [outcome, setOutcome] = useState("contacted");
  const [owner, setOwner] = useState(task.owner ?? "");
  const [busy, error, run] = useAction();
  const overdue = task.status === "open" && task.due_date < today;
  const resolve = () => run(() => ok(api().POST("/followups/{followup_id}/resolve", {
    params: { path: { followup_id: task.id } }, body: { outcome: outcome as "contacted" },
  }))).then((done) => done && onChanged());
  const patch = (changes: { owner?: string; due_date?: string }) => run(() => ok(api().PATCH("/followups/{followup_id}", {
    params: { path: { followup_id: task.id }, header: ifMatch(task.version) }, body: changes,
  }))).then((done) => done && onChanged());
  return (
    <tr>
      <td><a href={href(`patients/${task.patient_id}`)}>{task.patient_name ?? "Unknown patient"}</a></td>
      <td>{words(task.kind)}</td>
      <td>{day(task.due_date)} {overdue && <span class="badge badge-overdue">overdue</span>}</td>
      <td>{task.owner}</td>
      <td><Status value={task.status} /></td>
      <td>
        {task.status === "open" ? (
          <div class="row-actions">
            <label class="sr-only" for={`o-${task.id}`}>Outcome</label>
            <select id={`o-${task.id}`} value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
              {OUTCOMES.map((o) => <option key={o} value={o}>{words(o)}</option>)}
            </select>
            <button type="button" disabled={busy} onClick={resolve}>Resolve</button>
            <label class="sr-only" for={`w-${task.id}`}>Owner</label>
            <input id={`w-${task.id}`} class="short" value={owner} onInput={(e) => setOwner(e.currentTarget.value)} />
            <button type="button" disabled={busy} onClick={() => patch({ owner })}>Reassign</button>
            <button type="button" disabled={busy}
              onClick={() => patch({ due_date: nextDay(task.due_date > today ? task.due_date : today, 3) })}>
              Snooze 3 days
            </button>
          </div>
        ) : task.outcome && words(task.outcome)}
        {error && <ErrorNote error={error} />}
      </td>
    </tr>
  );
}

function nextDay(d: string, n: number): string {
  const [y, m, dd] = d.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, dd + n)).toISOString().slice(0, 10);
}

function PatientSearch({ locationId }: { locationId: string }) {
  const [q, setQ] = useState("");
  const [load] = useLoad(() => ok<Page<Patient>>(api().GET("/patients", {
    params: { query: { location_id: locationId, q: q || undefined, limit: 20 } },
  })), [locationId, q]);
  return (
    <Section title="Patients">
      <Field label="Find a patient by name">
        {(id) => <input id={id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
      </Field>
      <Show load={load} what="patients">
        {(page) => page.items.length === 0 ? <Empty>No patient matches.</Empty> : (
          <ul class="plain-list">
            {page.items.map((p) => (
              <li key={p.id}><a href={href(`patients/${p.id}`)}>{p.last_name}, {p.first_name}</a>
                <span class="muted"> born {day(p.date_of_birth)}</span></li>
            ))}
          </ul>
        )}
      </Show>
    </Section>
  );
}

export function Worklist({ query }: { query: URLSearchParams }) {
  const { defaultLocation, zoneOf } = useConsole();
  const locationId = query.get("location") ?? defaultLocation?.id ?? "";
  const kind = query.get("kind") ?? "";
  const owner = query.get("owner") ?? "";
  const status = query.get("status") ?? "open";
  const today = localDate(zoneOf(locationId));
  const set = (changes: Record<string, string>) =>
    go("worklist", { location: locationId, kind, owner, status, ...changes });
  const [tasks, reload] = useLoad(() => ok<Page<FollowUp>>(api().GET("/followups", {
    params: { query: { location_id: locationId, kind: (kind || undefined) as never, status: (status || undefined) as never,
      limit: 100 } },
  })), [locationId, kind, status]);
  const [opportunities] = useLoad(() => ok<Page<Opportunity>>(api().GET("/opportunities", {
    params: { query: { location_id: locationId, owner: owner || undefined,
      kind: (OPPORTUNITY_KINDS.includes(kind) && kind ? kind : undefined) as Opportunity["kind"] | undefined } },
  })), [locationId, kind, owner]);
  return (
    <>
      <h1>Worklist</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <LocationPicker value={locationId} onChange={(id) => set({ location: id })} />
        <Field label="Kind">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
              {[...new Set([...KINDS, ...OPPORTUNITY_KINDS])].map((k) => <option key={k} value={k}>{k ? words(k) : "Any kind"}</option>)}
            </select>
          )}
        </Field>
        <Field label="Owner">
          {(id) => <input id={id} value={owner} onChange={(e) => set({ owner: e.currentTarget.value })} />}
        </Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => set({ status: e.currentTarget.value })}>
              <option value="open">Open</option><option value="resolved">Resolved</option><option value="">Any</option>
            </select>
          )}
        </Field>
      </form>
      <div class="grid">
        <Section title="Follow-ups due">
          <Show load={tasks} what="follow-ups">
            {(page) => {
              const rows = page.items.filter((t) => !owner || t.owner === owner)
                .sort((a, b) => a.due_date.localeCompare(b.due_date));
              return rows.length === 0 ? <Empty>No follow-ups here. Nothing is due.</Empty> : (
                <div class="table-wrap" tabIndex={0}>
                  <table>
                    <thead><tr><th>Patient</th><th>Kind</th><th>Due</th><th>Owner</th><th>Status</th><th>Actions</th></tr></thead>
                    <tbody>{rows.map((t) => <FollowUpRow key={t.id} task={t} today={today} onChanged={reload} />)}</tbody>
                  </table>
                </div>
              );
            }}
          </Show>
        </Section>
        <Section title="Treatment opportunities">
          <Show load={opportunities} what="opportunities">
            {(page) => page.items.length === 0 ? <Empty>No open treatment to follow up.</Empty> : (
              <div class="table-wrap" tabIndex={0}>
                <table>
                  <thead><tr><th>Patient</th><th>Kind</th><th class="num">Value</th><th class="num">Benefits left</th><th>Owner</th></tr></thead>
                  <tbody>
                    {[...page.items].sort((a, b) => b.value_cents - a.value_cents).map((o) => (
                      <tr key={`${o.plan_id}-${o.kind}`}>
                        <td><a href={href(`patients/${o.patient_id}`)}>{o.patient_name ?? "Unknown patient"}</a>
                          {" · "}<a href={href(`plans/${o.plan_id}`)}>plan</a></td>
                        <td>{words(o.kind)}</td>
                        <td class="num">{money(o.value_cents)}</td>
                        <td class="num">{money(o.remaining_benefits_cents)}</td>
                        <td>{o.owner ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Show>
        </Section>
        <PatientSearch locationId={locationId} />
      </div>
    </>
  );
}
