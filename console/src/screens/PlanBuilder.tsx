// Build a plan's phases and steps from the CDT catalog: search, add to a step, set teeth and surfaces.
import { useState } from "preact/hooks";
import { api, ifMatch, ok } from "../api/client";
import type { Page, Plan } from "../api/types";
import { money, words } from "../format";
import { go } from "../router";
import { Empty, ErrorNote, Field, Section, Show, useAction, useLoad } from "../ui";

type CatalogItem = { code: string; descriptor: string; category: string; fee_cents: number; tooth: string;
  surfaces: { min: number; max: number } };
type DraftProcedure = { code: string; descriptor?: string; tooth: string; surfaces: string; fee_cents?: number };
type DraftStep = { id?: string; procedures: DraftProcedure[] };
type DraftPhase = { name: string; steps: DraftStep[] };

function fromPlan(plan: Plan | null): DraftPhase[] {
  if (!plan) return [{ name: "Phase 1", steps: [{ procedures: [] }] }];
  return plan.phases.map((phase) => ({
    name: phase.name,
    steps: phase.steps.map((step) => ({
      id: step.id,
      procedures: step.procedures.map((p) => ({ code: p.code, tooth: p.tooth ?? "", surfaces: p.surfaces ?? "",
        fee_cents: p.fee_cents })),
    })),
  }));
}

function toBody(phases: DraftPhase[]) {
  return phases.map((phase) => ({
    name: phase.name,
    steps: phase.steps.filter((s) => s.procedures.length).map((step) => ({
      ...(step.id ? { id: step.id } : {}),
      procedures: step.procedures.map((p) => ({
        code: p.code, ...(p.tooth ? { tooth: p.tooth } : {}), ...(p.surfaces ? { surfaces: p.surfaces.toUpperCase() } : {}),
      })),
    })),
  })).filter((phase) => phase.steps.length);
}

function CatalogSearch({ locationId, onAdd }: { locationId: string; onAdd: (item: CatalogItem) => void }) {
  const [q, setQ] = useState("");
  const [load] = useLoad(() => q.trim().length < 2 ? Promise.resolve({ items: [], next_cursor: null } as Page<CatalogItem>)
    : ok<Page<CatalogItem>>(api().GET("/procedures", { params: { query: { q, location_id: locationId, limit: 8 } } })),
  [q, locationId]);
  return (
    <div class="catalog">
      <Field label="Search CDT codes" hint="A code (D2740) or words (crown, cleaning)">
        {(id) => <input id={id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
      </Field>
      <Show load={load} what="procedures">
        {(page) => q.trim().length < 2 ? null : page.items.length === 0 ? <Empty>No procedure matches “{q}”.</Empty> : (
          <ul class="plain-list" aria-label="Matching procedures">
            {page.items.map((item) => (
              <li key={item.code} class="catalog-item">
                <span><strong>{item.code}</strong> {item.descriptor} <span class="muted">({words(item.category)}, {money(item.fee_cents)})</span></span>
                <button type="button" onClick={() => onAdd(item)} aria-label={`Add ${item.code} ${item.descriptor}`}>Add</button>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </div>
  );
}

export function PlanBuilder({ plan, patientId, locationId, alternativeTo, onSaved }: {
  plan: Plan | null; patientId: string; locationId: string; alternativeTo?: string | null; onSaved?: (plan: Plan) => void;
}) {
  const [phases, setPhases] = useState<DraftPhase[]>(() => fromPlan(plan));
  const [target, setTarget] = useState<[number, number]>([0, 0]);
  const [label, setLabel] = useState(plan?.option_label ?? "");
  const [busy, error, run] = useAction();
  const update = (change: (draft: DraftPhase[]) => void) => {
    const copy = structuredClone(phases);
    change(copy);
    setPhases(copy);
  };
  const add = (item: CatalogItem) => update((draft) => {
    const [pi, si] = target;
    draft[pi].steps[si].procedures.push({ code: item.code, descriptor: item.descriptor, tooth: "", surfaces: "" });
  });
  const save = () => run(async () => {
    const body = toBody(phases);
    const saved = plan
      ? await ok<Plan>(api().PATCH("/plans/{plan_id}", { params: { path: { plan_id: plan.id }, header: ifMatch(plan.version) },
        body: { phases: body as never, ...(label ? { option_label: label } : {}) } }))
      : await ok<Plan>(api().POST("/plans", { body: { patient_id: patientId, location_id: locationId, phases: body as never,
        ...(label ? { option_label: label } : {}), ...(alternativeTo ? { alternative_to: alternativeTo } : {}) } }));
    if (onSaved) onSaved(saved);
    else go(`plans/${saved.id}`);
  });
  return (
    <Section title={plan ? "Edit the plan" : "Build a plan"}>
      <CatalogSearch locationId={locationId} onAdd={add} />
      <Field label="Option label" hint="Names this option beside its alternatives (optional)">
        {(id) => <input id={id} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />}
      </Field>
      {phases.map((phase, pi) => (
        <fieldset key={pi} class="phase">
          <legend>Phase {pi + 1}</legend>
          <Field label={`Phase ${pi + 1} name`}>
            {(id) => <input id={id} value={phase.name} onInput={(e) => update((d) => { d[pi].name = e.currentTarget.value; })} />}
          </Field>
          {phase.steps.map((step, si) => (
            <div key={si} class={`step ${target[0] === pi && target[1] === si ? "target" : ""}`}>
              <div class="step-head">
                <strong>Step {si + 1}</strong>
                <label class="check">
                  <input type="radio" name="target-step" checked={target[0] === pi && target[1] === si}
                    onChange={() => setTarget([pi, si])} />
                  Add searched codes here
                </label>
              </div>
              {step.procedures.length === 0 ? <Empty>No procedure yet: search the catalog and press Add.</Empty> : (
                <ul class="plain-list">
                  {step.procedures.map((p, xi) => (
                    <li key={xi} class="procedure-row">
                      <span><strong>{p.code}</strong> {p.descriptor ?? ""}</span>
                      <label>Tooth <input class="tiny" value={p.tooth} aria-label={`Tooth for ${p.code}`}
                        onInput={(e) => update((d) => { d[pi].steps[si].procedures[xi].tooth = e.currentTarget.value; })} /></label>
                      <label>Surfaces <input class="tiny" value={p.surfaces} aria-label={`Surfaces for ${p.code}`}
                        onInput={(e) => update((d) => { d[pi].steps[si].procedures[xi].surfaces = e.currentTarget.value; })} /></label>
                      <button type="button" class="link" aria-label={`Remove ${p.code}`}
                        onClick={() => update((d) => { d[pi].steps[si].procedures.splice(xi, 1); })}>Remove</button>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ))}
          <button type="button" onClick={() => { update((d) => { d[pi].steps.push({ procedures: [] }); });
            setTarget([pi, phase.steps.length]); }}>Add a step to phase {pi + 1}</button>
        </fieldset>
      ))}
      <div class="actions">
        <button type="button" onClick={() => { update((d) => { d.push({ name: `Phase ${d.length + 1}`, steps: [{ procedures: [] }] }); });
          setTarget([phases.length, 0]); }}>Add a phase</button>
        <button type="button" class="primary" disabled={busy} onClick={save}>{plan ? "Save changes" : "Create plan"}</button>
      </div>
      {error && <ErrorNote error={error} what="The plan was not saved" />}
    </Section>
  );
}
