import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Appointment, Message, Page, Patient, Plan } from "../api/types";
import { useConsole } from "../context";
import { addDays, day, localDate, time, zonedIso } from "../format";
import { go, href } from "../router";
import { Empty, ErrorNote, Field, Section, Show, Status, useAction, useLoad } from "../ui";
import { MessageTable } from "./Patient";
import { LocationPicker } from "./Worklist";

const NEXT: Record<string, string[]> = {
  scheduled: ["confirm", "arrive", "no-show", "cancel"],
  confirmed: ["arrive", "no-show", "cancel"],
  arrived: ["complete", "cancel"],
};
const LABEL: Record<string, string> = { confirm: "Confirm", arrive: "Arrived", complete: "Complete", "no-show": "No-show",
  cancel: "Cancel" };

function Reminders({ appointmentId, zone }: { appointmentId: string; zone: string }) {
  const [load] = useLoad(() => ok<Page<Message>>(api().GET("/messages", { params: { query: { appointment_id: appointmentId } } })),
    [appointmentId]);
  return (
    <Show load={load} what="reminders">
      {(page) => page.items.length === 0 ? <Empty>No reminder planned.</Empty> : <MessageTable messages={page.items} zone={zone} />}
    </Show>
  );
}

function AppointmentRow({ appointment, zone, onChanged }: { appointment: Appointment; zone: string; onChanged: () => void }) {
  const [busy, error, run] = useAction();
  const [open, setOpen] = useState(false);
  const act = (action: string) => run(() => {
    const path = { params: { path: { appointment_id: appointment.id } } };
    const client = api();
    switch (action) {
      case "confirm": return ok(client.POST("/appointments/{appointment_id}/confirm", path));
      case "arrive": return ok(client.POST("/appointments/{appointment_id}/arrive", path));
      case "complete": return ok(client.POST("/appointments/{appointment_id}/complete", path));
      case "no-show": return ok(client.POST("/appointments/{appointment_id}/no-show", path));
      default: return ok(client.POST("/appointments/{appointment_id}/cancel", { ...path, body: { reason: "cancelled by the office" } }));
    }
  }).then((done) => done && onChanged());
  return (
    <li class="appointment">
      <div class="appointment-head">
        <strong>{time(appointment.start, zone)}</strong> · {appointment.duration_minutes} min · <Status value={appointment.status} />
        {" "}<a href={href(`patients/${appointment.patient_id}`)}>Patient</a>
        {appointment.plan_id && <> · <a href={href(`plans/${appointment.plan_id}`)}>Plan</a> ({appointment.step_ids.length} step{appointment.step_ids.length === 1 ? "" : "s"})</>}
      </div>
      <div class="row-actions">
        {(NEXT[appointment.status] ?? []).map((action) => (
          <button key={action} type="button" disabled={busy} onClick={() => act(action)}>{LABEL[action]}</button>
        ))}
        <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide reminders" : "Show reminders"}</button>
      </div>
      {error && <ErrorNote error={error} />}
      {open && <Reminders appointmentId={appointment.id} zone={zone} />}
    </li>
  );
}

function Book({ locationId, date, zone, query, onBooked }: {
  locationId: string; date: string; zone: string; query: URLSearchParams; onBooked: () => void;
}) {
  const [patientId, setPatientId] = useState(query.get("patient") ?? "");
  const [planId, setPlanId] = useState(query.get("plan") ?? "");
  const [steps, setSteps] = useState<string[]>([]);
  const [start, setStart] = useState("10:00");
  const [duration, setDuration] = useState("60");
  const [busy, error, run] = useAction();
  const [patients] = useLoad(() => ok<Page<Patient>>(api().GET("/patients", { params: { query: { location_id: locationId, limit: 100 } } })),
    [locationId]);
  const [plans] = useLoad(() => patientId ? ok<Page<Plan>>(api().GET("/plans", { params: { query: { patient_id: patientId } } }))
    : Promise.resolve({ items: [], next_cursor: null }), [patientId]);
  const plan = plans.state === "ok" ? plans.data.items.find((p) => p.id === planId) : undefined;
  const bookable = plan ? plan.phases.flatMap((ph) => ph.steps.map((s) => ({ ...s, phase: ph.name })))
    .filter((s) => s.status === "pending" && (plan.acceptance?.step_ids ?? []).includes(s.id)) : [];
  const book = (event: Event) => {
    event.preventDefault();
    run(async () => {
      await ok(api().POST("/appointments", { body: {
        patient_id: patientId, location_id: locationId, start: zonedIso(date, start, zone),
        duration_minutes: Number(duration), ...(planId ? { plan_id: planId, step_ids: steps } : {}),
      } }));
      onBooked();
    });
  };
  return (
    <Section title={`Book on ${day(date)}`}>
      <form onSubmit={book} class="stack">
        <Field label="Patient">{(id) => (
          <select id={id} value={patientId} onChange={(e) => { setPatientId(e.currentTarget.value); setPlanId(""); setSteps([]); }} required>
            <option value="">Choose a patient</option>
            {patients.state === "ok" && patients.data.items.map((p) => <option key={p.id} value={p.id}>{p.last_name}, {p.first_name}</option>)}
          </select>)}</Field>
        <Field label="Plan (optional)">{(id) => (
          <select id={id} value={planId} onChange={(e) => { setPlanId(e.currentTarget.value); setSteps([]); }}>
            <option value="">No plan: a visit only</option>
            {plans.state === "ok" && plans.data.items.filter((p) => ["accepted", "partially_accepted", "scheduled", "in_progress"].includes(p.status))
              .map((p) => <option key={p.id} value={p.id}>{p.option_label || p.phases[0]?.name} ({p.status.replace("_", " ")})</option>)}
          </select>)}</Field>
        {plan && (
          <fieldset>
            <legend>Steps this visit carries out</legend>
            {bookable.length === 0 ? <Empty>No accepted step is waiting to be booked.</Empty> : bookable.map((s) => (
              <label key={s.id} class="check">
                <input type="checkbox" checked={steps.includes(s.id)}
                  onChange={(e) => setSteps(e.currentTarget.checked ? [...steps, s.id] : steps.filter((x) => x !== s.id))} />
                {s.phase}: {s.procedures.map((p) => p.code + (p.tooth ? ` #${p.tooth}` : "")).join(", ")}
              </label>
            ))}
          </fieldset>
        )}
        <div class="inline-fields">
          <Field label={`Start (${zone})`}>{(id) => <input id={id} type="time" value={start} onInput={(e) => setStart(e.currentTarget.value)} required />}</Field>
          <Field label="Minutes">{(id) => <input id={id} type="number" min={5} max={480} step={5} value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />}</Field>
        </div>
        <button type="submit" class="primary" disabled={busy || !patientId}>Book</button>
        {error && <ErrorNote error={error} what="Not booked" />}
      </form>
    </Section>
  );
}

export function Schedule({ query }: { query: URLSearchParams }) {
  const { defaultLocation, zoneOf } = useConsole();
  const locationId = query.get("location") ?? defaultLocation?.id ?? "";
  const zone = zoneOf(locationId);
  const date = query.get("date") ?? localDate(zone);
  const keep = { plan: query.get("plan"), patient: query.get("patient") };
  const [load, reload] = useLoad(() => ok<Page<Appointment>>(api().GET("/appointments", {
    params: { query: { location_id: locationId, date, limit: 100 } } })), [locationId, date]);
  return (
    <>
      <h1>Schedule</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Day and location">
        <LocationPicker value={locationId} onChange={(id) => go("schedule", { location: id, date, ...keep })} />
        <Field label="Day">{(id) => <input id={id} type="date" value={date}
          onChange={(e) => go("schedule", { location: locationId, date: e.currentTarget.value, ...keep })} />}</Field>
        <div class="actions">
          <a class="button" href={href("schedule", { location: locationId, date: addDays(date, -1), ...keep })}>Previous day</a>
          <a class="button" href={href("schedule", { location: locationId, date: addDays(date, 1), ...keep })}>Next day</a>
        </div>
      </form>
      <div class="grid">
        <Section title={`${day(date)} (${zone})`}>
          <Show load={load} what="the day's appointments">
            {(page) => page.items.length === 0 ? <Empty>Nothing booked this day.</Empty> : (
              <ul class="plain-list">
                {[...page.items].sort((a, b) => a.start.localeCompare(b.start)).map((a) => (
                  <AppointmentRow key={`${a.id}-${a.version}`} appointment={a} zone={zone} onChanged={reload} />
                ))}
              </ul>
            )}
          </Show>
        </Section>
        <Book locationId={locationId} date={date} zone={zone} query={query} onBooked={reload} />
      </div>
    </>
  );
}
