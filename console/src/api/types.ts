// Shapes of the API's answers: the generated schema's response models (schema.d.ts, from /openapi.json),
// so a field the console reads that the API no longer has fails the type check.
import type { components } from "./schema";

type S = components["schemas"];
export type Page<T> = { items: T[]; next_cursor?: string | null };
export type Location = S["LocationOut"];
export type Patient = S["PatientOut"];
export type Coverage = S["CoverageOut"];
export type HistoryItem = S["HistoryItemOut"];
export type Procedure = S["ProcedureOut"];
export type Plan = S["PlanOut"];
export type Estimate = S["EstimateOut"];
export type PhasingProposal = S["PhasingOut"];
export type PaymentOptions = S["PaymentOptionsOut"];
export type PaymentPlan = S["PaymentPlanOut"];
export type Ledger = S["LedgerOut"];
export type Appointment = S["AppointmentOut"];
export type Message = S["MessageOut"];
export type FollowUp = S["FollowUpOut"];
export type Figure = S["Figure"];
export type KpiReport = S["KpiReport"];
export type KpiScope = { figures: Record<string, Figure | undefined> };

export type Opportunity = S["OpportunityOut"];
