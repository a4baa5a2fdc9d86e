import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Figure, KpiReport, KpiScope } from "../api/types";
import { useConsole } from "../context";
import { addDays, day, localDate, money, percent } from "../format";
import { go } from "../router";
import { Empty, ErrorNote, Field, Section, Show, useAction, useLoad } from "../ui";

type Kind = "ratio" | "money" | "number" | "days";
const FIGURES: { key: string; label: string; kind: Kind; definition: string; chart?: boolean; partsInCents?: boolean }[] = [
  { key: "case_acceptance_count", label: "Case acceptance", kind: "ratio", chart: true,
    definition: "Cases accepted of the cases first presented in the range (a plan counts once)." },
  { key: "case_acceptance_value", label: "Case acceptance by value", kind: "ratio", partsInCents: true,
    definition: "Fees of the accepted steps of the fees presented, for the same cases." },
  { key: "patients_closed_per_day", label: "Patients closed per day", kind: "number", chart: true,
    definition: "Patients who signed a plan, per working day of the range; the location adds up its coordinators." },
  { key: "days_to_acceptance", label: "Days to acceptance", kind: "days",
    definition: "Average local days from a plan's first presentation to its signature." },
  { key: "incomplete_treatment", label: "Incomplete treatment", kind: "ratio", chart: true,
    definition: "Patients with accepted steps not completed, of the patients with a signed plan, at the end of the range." },
  { key: "no_show_rate", label: "No-show rate", kind: "ratio", chart: true,
    definition: "No-shows and late cancellations of the visits that were due (completed, no-show or late-cancelled)." },
  { key: "collections", label: "Collections", kind: "money", chart: true,
    definition: "Payments taken less refunds given, by the date of each." },
  { key: "financing_uptake", label: "Financing uptake", kind: "ratio",
    definition: "Financings funded of the plans signed." },
  { key: "followups_overdue", label: "Follow-ups overdue", kind: "number",
    definition: "Overdue follow-ups at the close of the latest closed day of the range." },
];

function show(figure: Figure | undefined, kind: Kind): string {
  if (!figure || figure.value === null || figure.value === undefined) return "—";
  if (kind === "ratio") return percent(figure.value);
  if (kind === "money") return money(figure.value);
  if (kind === "days") return `${figure.value} days`;
  return String(figure.value);
}

function scopeOf(report: KpiReport, locationId: string): KpiScope | undefined {
  return locationId ? report.locations.find((l) => l.location_id === locationId) : report.group ?? report.locations[0];
}

const WEEKS = 8;

function Chart({ label, kind, points }: { label: string; kind: Kind; points: { week: string; value: number | null }[] }) {
  const values = points.map((p) => p.value ?? 0);
  const top = Math.max(...values, kind === "ratio" ? 1 : 0, 1e-9);
  const width = 320, height = 120, bar = width / points.length;
  const text = points.map((p) => `${day(p.week)}: ${show({ value: p.value }, kind)}`).join("; ");
  return (
    <figure class="chart">
      <figcaption>{label}, week by week</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 18}`} role="img" aria-label={`${label}: ${text}`}>
        <line x1="0" y1={height} x2={width} y2={height} stroke="#444" />
        {points.map((p, i) => {
          const h = ((p.value ?? 0) / top) * (height - 10);
          return (
            <g key={p.week}>
              <rect x={i * bar + 4} y={height - h} width={bar - 8} height={h} fill="#1f5f99" />
              {p.value !== null && p.value !== 0 && (
                <text x={i * bar + bar / 2} y={Math.max(10, height - h - 3)} font-size="9" text-anchor="middle" fill="#1a1a1a">
                  {show({ value: p.value }, kind)}</text>)}
              <text x={i * bar + bar / 2} y={height + 14} font-size="10" text-anchor="middle" fill="#222">{p.week.slice(5)}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function Trends({ locationId, to }: { locationId: string; to: string }) {
  const [load] = useLoad(async () => {
    const weeks = Array.from({ length: WEEKS }, (_, i) => addDays(to, -7 * (WEEKS - i) + 1));
    const reports = await Promise.all(weeks.map((start) => ok<KpiReport>(api().GET("/kpis", {
      params: { query: { location_id: locationId || undefined, from: start, to: addDays(start, 6) } } }))));
    return weeks.map((week, i) => ({ week, scope: scopeOf(reports[i], locationId) }));
  }, [locationId, to]);
  return (
    <Section title="Over time" wide>
      <Show load={load} what="the trend">
        {(series) => (
          <div class="charts">
            {FIGURES.filter((f) => f.chart).map((f) => (
              <Chart key={f.key} label={f.label} kind={f.kind}
                points={series.map((s) => ({ week: s.week, value: (s.scope?.figures[f.key]?.value as number | null) ?? null }))} />
            ))}
          </div>
        )}
      </Show>
    </Section>
  );
}

function CsvDownload({ locationId, from, to }: { locationId: string; from: string; to: string }) {
  const [busy, error, run] = useAction();
  const [url, setUrl] = useState<string | null>(null);
  const download = () => run(async () => {
    const text = await ok<string>(api().GET("/kpis", { params: { query: { location_id: locationId || undefined, from, to } },
      headers: { Accept: "text/csv" }, parseAs: "text" }));
    const link = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    setUrl(link);
    const anchor = document.createElement("a");
    anchor.href = link;
    anchor.download = `kpis-${from}-${to}.csv`;
    anchor.click();
  });
  return (
    <div class="actions">
      <button type="button" disabled={busy} onClick={download}>Download CSV</button>
      {url && <a href={url} download={`kpis-${from}-${to}.csv`}>Save the CSV again</a>}
      {error && <ErrorNote error={error} />}
    </div>
  );
}

export function Kpis({ query }: { query: URLSearchParams }) {
  const { locations, zoneOf } = useConsole();
  const locationId = query.get("location") ?? "";
  const zone = zoneOf(locationId || null);
  const to = query.get("to") ?? localDate(zone);
  const from = query.get("from") ?? addDays(to, -29);
  const set = (changes: Record<string, string>) => go("kpis", { location: locationId, from, to, ...changes });
  const [load] = useLoad(() => ok<KpiReport>(api().GET("/kpis", {
    params: { query: { location_id: locationId || undefined, from, to } } })), [locationId, from, to]);
  return (
    <>
      <h1>KPIs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Range and scope">
        <Field label="Scope">{(id) => (
          <select id={id} value={locationId} onChange={(e) => set({ location: e.currentTarget.value })}>
            <option value="">The group (every location)</option>
            {locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
          </select>)}</Field>
        <Field label="From">{(id) => <input id={id} type="date" value={from} onChange={(e) => set({ from: e.currentTarget.value })} />}</Field>
        <Field label="To">{(id) => <input id={id} type="date" value={to} onChange={(e) => set({ to: e.currentTarget.value })} />}</Field>
        <CsvDownload locationId={locationId} from={from} to={to} />
      </form>
      <Show load={load} what="the KPIs">
        {(report) => {
          const scope = scopeOf(report, locationId);
          const coordinators = locationId ? report.locations.find((l) => l.location_id === locationId)?.coordinators ?? [] : [];
          return !scope ? <Empty>No location in this scope.</Empty> : (
            <div class="grid">
              <Section title={`${day(report.from)} to ${day(report.to)}`}>
                <div class="table-wrap" tabIndex={0}>
                  <table class="kpis">
                    <thead><tr><th>Figure</th><th class="num">Value</th><th>From</th><th>Definition</th></tr></thead>
                    <tbody>
                      {FIGURES.map((f) => {
                        const figure = scope.figures[f.key];
                        return (
                          <tr key={f.key} data-kpi={f.key}>
                            <th scope="row">{f.label}</th>
                            <td class="num">{show(figure, f.kind)}</td>
                            <td>{figure?.denominator !== undefined ? (f.partsInCents
                              ? `${money(figure.numerator)} of ${money(figure.denominator)}` : `${figure.numerator} of ${figure.denominator}`) : ""}</td>
                            <td>{f.definition}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              </Section>
              {coordinators.length > 0 && (
                <Section title="Per coordinator">
                  <div class="table-wrap" tabIndex={0}>
                    <table>
                      <thead><tr><th>Coordinator</th><th class="num">Case acceptance</th><th class="num">Closed per day</th></tr></thead>
                      <tbody>{coordinators.map((c) => (
                        <tr key={c.coordinator_id}><td>{c.coordinator_id}</td>
                          <td class="num">{show(c.figures.case_acceptance_count, "ratio")}</td>
                          <td class="num">{show(c.figures.patients_closed_per_day, "number")}</td></tr>))}</tbody>
                    </table>
                  </div>
                </Section>
              )}
              <Trends locationId={locationId} to={to} />
            </div>
          );
        }}
      </Show>
    </>
  );
}
