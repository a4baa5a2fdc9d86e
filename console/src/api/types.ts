// Shapes of the API's answers the console reads. The request side is typed by the generated schema
// (schema.d.ts); these name the response fields the screens use, as DESIGN.md's contract fixes them.
export type Page<T> = { items: T[]; next_cursor: string | null };

export type Location = { id: string; name: string; timezone: string; phone: string; version: number };

export type Consent = Record<string, Record<string, boolean>>;
export type Patient = {
  id: string; location_id: string; first_name: string; last_name: string; date_of_birth: string;
  phone?: string | null; email?: string | null; language: string; consent: Consent;
  sms_opted_out: boolean; email_suppressed: boolean; version: number;
};

export type Coverage = {
  carrier: string; member_id: string; rank?: number; renewal_month: number; annual_max_cents: number;
  used_cents: number; pending_cents: number; deductible_cents: number; deductible_met_cents: number;
  coverage_pct: Record<string, number>; ortho_lifetime_max_cents?: number; ortho_used_cents?: number;
  remaining_cents?: number;
};

export type Procedure = {
  code: string; tooth: string | null; surfaces: string; fee_cents: number; category: string; descriptor?: string;
};
export type Step = { id: string; status: string; procedures: Procedure[] };
export type Phase = { name: string; steps: Step[] };
export type Totals = { fee_cents: number; writeoff_cents: number; insurance_cents: number; patient_cents: number };
export type Plan = {
  id: string; patient_id: string; location_id: string; status: string; version: number; phases: Phase[];
  totals: Totals; option_group: string | null; option_label: string | null; notes: string;
  presented_version?: number | null; presented_at?: string | null; expires_at?: string | null;
  acceptance?: { signer_name: string; signed_at?: string; version: number; step_ids: string[] } | null;
  updated_at: string;
};

export type CoverageShare = {
  rank: number; allowed_cents?: number; writeoff_cents?: number; deductible_cents?: number;
  insurance_cents: number; limits: string[]; reasons?: string[];
};
export type EstimateLine = {
  line_id: string; code: string; category: string; fee_cents: number; allowed_cents: number;
  writeoff_cents: number; copay_cents: number; deductible_cents: number; insurance_cents: number;
  patient_cents: number; limits: string[]; reasons?: string[]; by_coverage?: CoverageShare[];
};
export type Estimate = {
  plan_id: string; version: number; frozen: boolean; quote_number: number | null; lines: EstimateLine[];
  totals: Totals & { deductible_cents: number; remaining_annual_max_cents: number; limits: string[] };
};

export type InHouseOption = {
  count: number; frequency: string; apr_bps: number; down_payment_pct: number; down_payment_cents: number;
  financed_cents: number; installment_cents: number; last_installment_cents: number; interest_cents: number;
  total_cost_cents: number; first_due_date: string;
};
export type FinancingOffer = {
  provider_id: string; name: string; months: number; apr_bps: number; deferred_interest: boolean; label: string;
  estimated_monthly_cents: number; min_amount_cents: number; eligible: boolean;
};
export type PaymentOptions = {
  plan_id: string; quote_number: number; patient_portion_cents: number; insurance_estimate_cents: number;
  pay_in_full: { discount_pct: number; discount_cents: number; amount_cents: number } | null;
  in_house: InHouseOption[]; financing: FinancingOffer[]; payment_plan: PaymentPlan | null;
};
export type Installment = { number: number; due_date: string; amount_cents: number; principal_cents: number;
  interest_cents: number };
export type InstallmentSchedule = {
  financed_cents: number; down_payment_cents: number; count: number; frequency: string; apr_bps: number;
  installment_cents: number; interest_cents: number; total_cents: number; installments: Installment[];
};
export type PaymentPlan = {
  plan_id: string; terms: { down_payment_cents: number; count: number; frequency: string; apr_bps: number; first_due: string };
  schedule: InstallmentSchedule; signature: { signer_name: string } | null; version: number;
};

export type Ledger = {
  plan_id: string; entries: { id?: string; kind: string; amount_cents: number; created_at?: string }[];
  balances: Record<string, number>;
};

export type Appointment = {
  id: string; patient_id: string; location_id: string; timezone: string; plan_id: string | null;
  step_ids: string[]; start: string; duration_minutes: number; status: string; version: number;
};

export type Message = {
  id: string; patient_id: string; appointment_id: string | null; kind: string; channel: string; purpose?: string;
  send_at: string; status: string; provider_message_id: string | null; reason: string | null;
};

export type FollowUp = {
  id: string; kind: string; status: string; patient_id: string; location_id: string; due_date: string;
  owner: string; outcome?: string | null; plan_id?: string; appointment_id?: string; version?: number;
};

export type Opportunity = {
  kind: string; plan_id: string; patient_id: string; location_id: string; value_cents: number;
  remaining_benefits_cents: number | null; last_contact_at: string | null; owner: string | null;
};

export type Figure = { value: number | null; numerator?: number; denominator?: number; [extra: string]: unknown };
export type KpiScope = { figures: Record<string, Figure> };
export type KpiReport = {
  from: string; to: string; days: number;
  locations: (KpiScope & { location_id: string; name: string; timezone: string;
    coordinators: (KpiScope & { coordinator_id: string })[] })[];
  group: KpiScope | null;
};

export type PhasingProposal = {
  all_now: { insurance_cents: number; patient_cents: number };
  phased: { insurance_cents: number; patient_cents: number; phases: { name: string; benefit_year_start: string;
    earliest_date: string; step_ids: string[]; insurance_cents: number; patient_cents: number }[] };
  saving_cents: number;
};
