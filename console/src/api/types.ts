// Shapes of the API's answers: the generated schema's response models (schema.d.ts, from /openapi.json),
// so a field the console reads that the API no longer has fails the type check. Routes another change is
// bringing (history, coverages by rank, opportunities, phasing, signing) are typed here by DESIGN.md's contract.
import type { components } from "./schema";

type S = components["schemas"];
export type Page<T> = { items: T[]; next_cursor?: string | null };
export type Location = S["LocationOut"];
export type Patient = S["PatientOut"];
export type Coverage = S["CoverageOut"] & { rank?: number };
export type Procedure = S["ProcedureOut"];
export type Plan = S["PlanOut"];
export type CoverageShare = {
  rank: number; allowed_cents?: number; writeoff_cents?: number; deductible_cents?: number;
  insurance_cents: number; limits: string[]; reasons?: string[];
};
export type EstimateLine = S["EstimateLine"] & { reasons?: string[]; by_coverage?: CoverageShare[] };
export type Estimate = {
  plan_id: string; version: number; frozen: boolean; quote_number?: number | null; lines: EstimateLine[];
  totals: S["EstimateTotals"] & { deductible_cents?: number; remaining_annual_max_cents?: number };
};
export type PaymentOptions = S["PaymentOptionsOut"];
export type PaymentPlan = S["PaymentPlanOut"];
export type Ledger = S["LedgerOut"];
export type Appointment = S["AppointmentOut"];
export type Message = S["MessageOut"];
export type FollowUp = S["FollowUpOut"];
export type Figure = S["Figure"];
export type KpiReport = S["KpiReport"];
export type KpiScope = { figures: Record<string, Figure | undefined> };

export type Opportunity = {
  kind: string; plan_id: string; patient_id: string; location_id: string; value_cents: number;
  remaining_benefits_cents: number | null; last_contact_at: string | null; owner: string | null;
};

export type PhasingProposal = {
  all_now: { insurance_cents: number; patient_cents: number };
  phased: { insurance_cents: number; patient_cents: number; phases: { name: string; benefit_year_start: string;
    earliest_date: string; step_ids: string[]; insurance_cents: number; patient_cents: number }[] };
  saving_cents: number;
};
