"""KPI definitions: what each plan change counts and where, the figures from summed day items, and the
aggregate store (counters folded into one update per item per transaction, the nightly close)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.clock import frozen_at, local_date
from shared.domain import kpi_plan_changes as rules
from shared.domain import kpis as kpi
from shared.domain import plan_lifecycle
from shared.domain.kpi_plan_changes import PatientTreatment
from shared.domain.kpis import DayClose, DayRecord, Delta, Level, Scope
from shared.domain.plan_building import new_plan
from shared.domain.plans import Plan
from shared.errors import InvalidInput, RuleViolation, StaleVersion
from shared.services import kpis
from shared.store import kpi_days
from shared.store import kpis as kpi_store
from tests.factories import commit

NY = "America/New_York"
T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
_ids = itertools.count()


def step_id() -> str:
    return f"stp_{next(_ids):026d}"


def plan(fees=(10000, 20000, 30000), patient="pat_1", coordinator="coord-a", plan_id="pln_1") -> Plan:
    phases = [{"name": "Restore", "steps": [
        {"procedures": [{"code": "D2740", "tooth": "3", "surfaces": None, "fee_cents": fee, "category": "crowns"}]}
        for fee in fees]}]
    return new_plan(plan_id=plan_id, patient_id=patient, location_id="loc_1", coordinator_id=coordinator,
                    phases=phases, now=T0 - timedelta(hours=1), id_factory=step_id)


def present(p: Plan, now: datetime) -> Plan:
    fee = p.fee_cents
    estimate = {"totals": {"fee_cents": fee, "writeoff_cents": 0, "insurance_cents": 0, "patient_cents": fee}}
    return plan_lifecycle.present(p, estimate=estimate, now=now)


def accept(p: Plan, now: datetime, steps: int | None = None) -> Plan:
    ids = [s.id for s in p.steps][:steps] if steps else None
    return plan_lifecycle.accept(p, signer_name="Ana", signed_version=p.version, now=now, step_ids=ids)


def complete(p: Plan, now: datetime) -> Plan:
    for step in p.steps:
        if step.status.value == "pending":
            p = plan_lifecycle.mark_step_completed(plan_lifecycle.mark_step_scheduled(p, step.id, now=now),
                                                   step.id, now=now)
    return p


def counts(deltas: list[Delta]) -> dict[tuple, int]:
    """{(scope, day, coordinator, counter): amount}, zero amounts left out."""
    summed: Counter = Counter()
    for d in deltas:
        summed[(d.scope.value, d.day, d.coordinator_id, d.counter)] += d.amount
    return {key: amount for key, amount in summed.items() if amount}


MAR3, MAR5 = date(2025, 3, 3), date(2025, 3, 5)


# ---- what a plan change counts ---------------------------------------------------------------------


def test_first_presentation_counts_the_case_on_its_local_date_and_a_new_version_only_its_value():
    drafted = plan()
    late = datetime(2025, 3, 4, 3, 30, tzinfo=UTC)  # 3 March, 22:30 in New York
    presented = present(drafted, late)
    deltas, _ = rules.plan_change_deltas(drafted, presented, NY)
    assert counts(deltas) == {
        ("location", MAR3, None, "presented"): 1, ("location", MAR3, None, "presented_cents"): 60000,
        ("coordinator", MAR3, "coord-a", "presented"): 1, ("coordinator", MAR3, "coord-a", "presented_cents"): 60000}

    edited = plan_lifecycle.edit(presented, now=late + timedelta(days=2), notes="x",
                                 phases=[{"name": "Restore", "steps": [
                                     {"id": s.id, "procedures": s.procedures} for s in presented.steps[:2]]}])
    again = present(edited, late + timedelta(days=2))
    deltas, _ = rules.plan_change_deltas(edited, again, NY)
    assert counts(deltas) == {("location", MAR3, None, "presented_cents"): -30000,
                              ("coordinator", MAR3, "coord-a", "presented_cents"): -30000}


def test_partial_acceptance_counts_on_the_cohort_day_and_the_signature_day():
    presented = present(plan(), T0)
    accepted = accept(presented, T0 + timedelta(days=2), steps=2)
    deltas, treatment = rules.plan_change_deltas(presented, accepted, NY, PatientTreatment())
    assert counts(deltas) == {
        ("location", MAR3, None, "accepted"): 1, ("location", MAR3, None, "accepted_cents"): 30000,
        ("coordinator", MAR3, "coord-a", "accepted"): 1, ("coordinator", MAR3, "coord-a", "accepted_cents"): 30000,
        ("location", MAR5, None, "accepted_on_day"): 1, ("location", MAR5, None, "accept_days_sum"): 2,
        ("coordinator", MAR5, "coord-a", "accepted_on_day"): 1,
        ("coordinator", MAR5, "coord-a", "accept_days_sum"): 2,
        ("coordinator", MAR5, "coord-a", "patients_closed"): 1,
        ("level", None, None, "patients_accepted"): 1, ("level", None, None, "patients_incomplete"): 1,
        ("location", MAR5, None, "patients_accepted_change"): 1,
        ("location", MAR5, None, "patients_incomplete_change"): 1}
    assert treatment == PatientTreatment(frozenset({"pln_1"}), frozenset({"pln_1"}), {"coord-a": "2025-03-05"})


def test_a_patient_closes_once_a_day_per_coordinator_and_counts_once_in_the_levels():
    first = present(plan(plan_id="pln_1"), T0)
    second = present(plan(plan_id="pln_2"), T0)
    third = present(plan(plan_id="pln_3", coordinator="coord-b"), T0)
    treatment = PatientTreatment()
    closed = []
    for before in (first, second, third):
        deltas, treatment = rules.plan_change_deltas(before, accept(before, T0 + timedelta(hours=1)), NY, treatment)
        summed = counts(deltas)
        closed.append(sum(v for k, v in summed.items() if k[3] == "patients_closed"))
        if before is not first:
            assert ("level", None, None, "patients_accepted") not in summed
    assert closed == [1, 0, 1]
    next_day = present(plan(plan_id="pln_4"), T0)
    deltas, treatment = rules.plan_change_deltas(next_day, accept(next_day, T0 + timedelta(days=1)), NY, treatment)
    assert counts(deltas)[("coordinator", date(2025, 3, 4), "coord-a", "patients_closed")] == 1


def test_completion_leaves_the_incomplete_level_only_with_the_patients_last_open_plan():
    a = accept(present(plan(plan_id="pln_1"), T0), T0)
    b = accept(present(plan(plan_id="pln_2"), T0), T0)
    treatment = PatientTreatment(frozenset({"pln_1", "pln_2"}), frozenset({"pln_1", "pln_2"}))
    done_a = complete(a, T0 + timedelta(days=9))
    deltas, treatment = rules.plan_change_deltas(a, done_a, NY, treatment)
    assert counts(deltas) == {("location", date(2025, 3, 12), None, "plans_completed"): 1,
                              ("location", MAR3, None, "cohort_completed"): 1,
                              ("coordinator", MAR3, "coord-a", "cohort_completed"): 1}
    deltas, treatment = rules.plan_change_deltas(b, complete(b, T0 + timedelta(days=10)), NY, treatment)
    assert counts(deltas) == {("location", date(2025, 3, 13), None, "plans_completed"): 1,
                              ("location", MAR3, None, "cohort_completed"): 1,
                              ("coordinator", MAR3, "coord-a", "cohort_completed"): 1,
                              ("level", None, None, "patients_incomplete"): -1,
                              ("location", date(2025, 3, 13), None, "patients_incomplete_change"): -1}
    assert treatment.signed == {"pln_1", "pln_2"} and not treatment.open


def test_a_patients_decline_counts_and_an_alternative_declined_by_acceptance_does_not():
    presented = present(plan(), T0)
    declined = plan_lifecycle.decline(presented, reason="cost", now=T0 + timedelta(days=1))
    deltas, _ = rules.plan_change_deltas(presented, declined, NY)
    assert counts(deltas) == {("location", MAR3, None, "declined"): 1,
                              ("coordinator", MAR3, "coord-a", "declined"): 1}
    other = plan_lifecycle.decline_as_alternative(presented, accepted_plan_id="pln_9", now=T0)
    assert rules.plan_change_deltas(presented, other, NY)[0] == []


def test_a_change_that_moves_the_patients_treatment_needs_it():
    presented = present(plan(), T0)
    assert rules.needs_patient_treatment(presented, accept(presented, T0))
    with pytest.raises(ValueError, match="pass it"):
        rules.plan_change_deltas(presented, accept(presented, T0), NY)
    assert not rules.needs_patient_treatment(plan(), presented)


# ---- property: counters always agree with a recount of the plans ------------------------------------

OPERATIONS = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["present", "accept", "accept_part",
                                                                    "decline", "complete"]),
                                st.integers(0, 30)), max_size=40)


def apply(operation: str, p: Plan, now: datetime) -> Plan:
    if operation == "present":
        return present(p, now)
    if operation == "accept":
        return accept(p, now)
    if operation == "accept_part":
        return accept(p, now, steps=1)
    if operation == "decline":
        return plan_lifecycle.decline(p, reason="cost", now=now)
    return complete(p, now)


@settings(max_examples=150, deadline=None)
@given(OPERATIONS)
def test_summed_counters_equal_a_recount_of_the_final_plans(operations):
    """Six plans of three patients and two coordinators, moved by any sequence of legal operations."""
    plans = {i: plan(plan_id=f"pln_{i}", patient=f"pat_{i % 3}", coordinator=f"coord-{i % 2}") for i in range(6)}
    treatments = {f"pat_{i}": PatientTreatment() for i in range(3)}
    deltas: list[Delta] = []
    for index, operation, hours in operations:
        before, now = plans[index], T0 + timedelta(hours=hours * 7)
        if now < before.updated_at:
            continue
        try:
            after = apply(operation, before, now)
        except RuleViolation:
            continue
        patient = before.patient_id
        changed, treatment = rules.plan_change_deltas(before, after, NY, treatments[patient])
        treatments[patient] = treatment
        deltas += changed
        plans[index] = after
    summed = Counter()
    for d in deltas:
        if d.scope is not Scope.COORDINATOR:
            summed[d.counter] += d.amount
    final = list(plans.values())
    signed = [p for p in final if rules.is_signed(p)]
    assert summed["presented"] == sum(1 for p in final if p.quotes)
    assert summed["presented_cents"] == sum(p.quotes[-1].totals["fee_cents"] for p in final if p.quotes)
    assert summed["accepted"] == summed["accepted_on_day"] == len(signed)
    assert summed["accepted_cents"] == sum(rules.accepted_fees(p) for p in signed)
    assert summed["declined"] == sum(1 for p in final if p.status.value == "declined")
    assert summed["plans_completed"] == summed["cohort_completed"] == sum(
        1 for p in final if p.status.value == "completed")
    assert summed["patients_accepted"] == summed["patients_accepted_change"] == len({p.patient_id for p in signed})
    assert summed["patients_incomplete"] == len({p.patient_id for p in final if rules.is_open(p)})
    closes = {(p.patient_id, p.coordinator_id, local_date(p.acceptance.signed_at, NY)) for p in signed}
    assert sum(d.amount for d in deltas if d.counter == "patients_closed") == len(closes)


# ---- figures -----------------------------------------------------------------------------------------


def test_ratios_round_half_up_and_have_no_value_without_a_denominator():
    assert kpi.ratio(2, 3) == {"value": 0.6667, "numerator": 2, "denominator": 3}
    assert kpi.ratio(1, 8, places=2) == {"value": 0.13, "numerator": 1, "denominator": 8}
    assert kpi.ratio(0, 0) == {"value": None, "numerator": 0, "denominator": 0}


def test_summarize_takes_the_latest_close_or_the_live_level_and_roll_up_the_oldest_as_of():
    d1, d2 = date(2025, 3, 1), date(2025, 3, 2)
    rows = [DayRecord(d1, {"payments_cents": 500, "refunds_cents": 700}, close=DayClose(3, Level(4, 1))),
            DayRecord(d2, {"appointments_no_show": 1}, close=DayClose(5, Level(4, 2))),
            DayRecord(d2, {"patients_closed": 2, "accepted_on_day": 2, "accept_days_sum": 5}, "coord-a")]
    closed = kpi.summarize(2, rows, live=None, today=date(2025, 4, 1))
    figures = kpi.figures(closed)
    assert figures["incomplete_treatment"] == {"value": 0.5, "numerator": 2, "denominator": 4, "as_of": "2025-03-02"}
    assert figures["followups_overdue"] == {"value": 5, "as_of": "2025-03-02"}
    assert figures["collections"] == {"value": -200, "payments_cents": 500, "refunds_cents": 700}
    assert figures["no_show_rate"]["value"] == 1.0
    assert figures["patients_closed_per_day"] == {"value": 1.0, "numerator": 2, "denominator": 2}
    by_day = kpi.closes_by_day(rows)
    assert kpi.figures(closed, by_day)["patients_closed_per_day"]["by_day"] == {"2025-03-02": 2}
    assert kpi.coordinator_figures(closed, by_day)[0]["figures"]["patients_closed_per_day"]["by_day"] == {
        "2025-03-02": 2}
    assert kpi.coordinator_figures(closed)[0]["figures"]["days_to_acceptance"]["value"] == 2.5
    live = kpi.summarize(2, rows, live=Level(10, 1), today=d2)
    assert kpi.figures(live)["incomplete_treatment"]["as_of"] == "2025-03-02"
    assert kpi.figures(live)["incomplete_treatment"]["value"] == 0.1
    group = kpi.roll_up([closed, kpi.summarize(2, rows[:1], None, date(2025, 4, 1))], 2)
    assert kpi.figures(group)["incomplete_treatment"]["as_of"] == "2025-03-01"
    assert kpi.figures(group)["incomplete_treatment"]["numerator"] == 3
    assert kpi.figures(kpi.summarize(2, [], None, d2))["incomplete_treatment"]["value"] is None


def test_patients_closed_per_working_day_and_incomplete_over_the_cohort():
    # Issue 11: "per day" divided by calendar days; a Mon-Fri location closing 10 patients over two whole
    # weeks closes 1 a working day, not 0.71 a day. And of the cases accepted in a period, how many are open.
    days = [DayRecord(date(2025, 3, 3), {"patients_closed": 10}, "coord-a"),
            DayRecord(date(2025, 3, 3), {"accepted": 4, "cohort_completed": 1})]
    summary = kpi.summarize(14, days, live=None, today=date(2025, 4, 1), working_days=10)
    figures = kpi.figures(summary)
    assert figures["patients_closed_per_day"]["value"] == 1.0
    assert figures["incomplete_treatment_cohort"] == {"value": 0.75, "numerator": 3, "denominator": 4}
    assert kpi.coordinator_figures(summary)[0]["figures"]["patients_closed_per_day"]["denominator"] == 10
    group = kpi.roll_up([summary, kpi.summarize(14, [], None, date(2025, 4, 1), working_days=12)], 14)
    assert kpi.figures(group)["patients_closed_per_day"]["denominator"] == 12


def test_date_ranges():
    assert kpi.check_range(date(2025, 3, 1), date(2025, 3, 1)) == 1
    assert kpi.check_range(date(2024, 1, 1), date(2024, 12, 31)) == 366
    for first, last in ((date(2025, 3, 2), date(2025, 3, 1)), (date(2024, 1, 1), date(2025, 1, 1))):
        with pytest.raises(InvalidInput):
            kpi.check_range(first, last)


def test_end_of_day_level_takes_back_later_changes_and_a_day_closes_only_once_ended():
    later = [{"patients_accepted_change": 1}, {"patients_incomplete_change": -1, "patients_accepted_change": 1}]
    assert kpi.end_of_day_level(Level(10, 4), later) == Level(8, 5)
    with pytest.raises(RuleViolation, match="has not ended"):
        kpi.require_closable(date(2025, 3, 3), date(2025, 3, 3), 99)
    assert kpi.require_closable(date(2025, 3, 1), date(2025, 3, 3), 99) == [date(2025, 3, 2), date(2025, 3, 3)]
    with pytest.raises(RuleViolation, match="at most 1 days"):
        kpi.require_closable(date(2025, 3, 1), date(2025, 3, 3), 1)


def test_local_dates_follow_the_locations_zone_across_dst():
    assert local_date(datetime(2025, 3, 10, 3, 30, tzinfo=UTC), NY) == date(2025, 3, 9)  # EDT: 23:30
    assert local_date(datetime(2025, 3, 9, 4, 30, tzinfo=UTC), NY) == date(2025, 3, 8)  # EST: 23:30
    with pytest.raises(InvalidInput):
        local_date(datetime(2025, 3, 9, 4, 30), NY)


# ---- the aggregate store -------------------------------------------------------------------------------


def test_every_source_in_one_transaction_folds_into_one_update_per_item(store, org):
    """A plan completed by an appointment, the appointment's outcome and two payments of the same day
    all move the same day item: DynamoDB refuses two operations on one item in a transaction."""
    day = date(2025, 3, 12)
    accepted = accept(present(plan(), T0), T0)
    done = complete(accepted, datetime(2025, 3, 12, 15, tzinfo=UTC))
    plan_writes = kpis.kpi_writes_for_plan_change(org, accepted, done, NY)

    def build(uow) -> None:
        plan_writes(uow)
        kpis.add_appointment_outcome(uow, org, "loc_1", day, "completed")
        kpis.add_payment(uow, org, "loc_1", day, 1500)
        kpis.add_payment(uow, org, "loc_1", day, 2500)
        kpis.add_refund(uow, org, "loc_1", day, 300)
        kpis.add_financing_funded(uow, org, "loc_1", day)

    commit(build)
    [row] = kpi_days.days(org, "loc_1", day, day)
    assert {k: v for k, v in row.counts.items() if v} == {
        "plans_completed": 1, "appointments_completed": 1, "payments_cents": 4000, "refunds_cents": 300,
        "financing_funded": 1, "patients_accepted_change": 1}
    assert kpi_store.levels(org, ["loc_1", "loc_2"]) == {"loc_1": Level(1, 0), "loc_2": Level(0, 0)}
    commit(lambda uow: kpis.add_appointment_outcome(uow, org, "loc_1", day, "completed", count=-1))
    assert kpi_days.days(org, "loc_1", day, day)[0].counts["appointments_completed"] == 0


def test_the_patient_treatment_write_is_conditional(store, org):
    presented = present(plan(), T0)
    first = kpis.kpi_writes_for_plan_change(org, presented, accept(presented, T0), NY)
    other = present(plan(plan_id="pln_2"), T0)
    racing = kpis.kpi_writes_for_plan_change(org, other, accept(other, T0), NY)  # read the same version
    commit(first)
    with pytest.raises(StaleVersion):
        commit(racing)
    assert kpi_store.levels(org, ["loc_1"])["loc_1"] == Level(1, 1)


def test_bad_writes_are_refused(store, org):
    def attempt(write) -> None:
        commit(write)

    with pytest.raises(ValueError):
        attempt(lambda uow: kpis.add_payment(uow, org, "loc_1", date(2025, 3, 1), 0))
    with pytest.raises(TypeError):
        attempt(lambda uow: kpis.add_payment(uow, org, "loc_1", datetime(2025, 3, 1, tzinfo=UTC), 100))
    with pytest.raises(ValueError):
        attempt(lambda uow: kpis.add_appointment_outcome(uow, org, "loc_1", date(2025, 3, 1), "rescheduled"))
    with pytest.raises(ValueError):
        attempt(lambda uow: kpi_store.add_counts(uow, org, "loc_1", Scope.COORDINATOR, {"payments_cents": 1},
                                                date(2025, 3, 1), "coord-a"))


def test_close_day_is_exact_late_and_the_same_when_run_twice(store, org):
    """Levels: one patient signs on 3 March, another on 5 March; closing 3 March on 6 March takes the
    later change back; running it twice writes the same."""
    treatments = {}
    for patient, day in (("pat_1", T0), ("pat_2", T0 + timedelta(days=2))):
        presented = present(plan(patient=patient, plan_id=f"pln_{patient}"), day)
        accepted = accept(presented, day)
        treatments[patient] = kpis.kpi_writes_for_plan_change(org, presented, accepted, NY)
        commit(treatments[patient])
    with frozen_at(datetime(2025, 3, 6, 12, tzinfo=UTC)):
        for _ in range(2):
            closed = kpis.close_day(org, "loc_1", MAR3, overdue_followups=3, timezone=NY)
            assert closed == {"location_id": "loc_1", "date": "2025-03-03", "followups_overdue": 3,
                              "patients_accepted": 1, "patients_incomplete": 1}
        with pytest.raises(RuleViolation):
            kpis.close_day(org, "loc_1", date(2025, 3, 6), overdue_followups=0, timezone=NY)
        assert kpis.day_to_close(NY) == date(2025, 3, 5)
    [row] = [r for r in kpi_days.days(org, "loc_1", MAR3, MAR3) if r.coordinator_id is None]
    assert row.close == DayClose(3, Level(1, 1))


def test_close_day_counts_the_followups_still_open_and_due_by_that_day(store, org):
    from shared.domain.followups import FollowUp, FollowUpStatus
    from shared.store import followups as followup_store

    for n, (status, due) in enumerate([("open", "2025-03-02"), ("open", "2025-03-03"), ("open", "2025-03-04"),
                                        ("resolved", "2025-03-01")]):
        task = FollowUp(id=f"fup_{n:026d}", kind="no_show", status=FollowUpStatus(status),
                        due_date=date.fromisoformat(due), location_id="loc_1", patient_id="pat_1", created_at=T0,
                        updated_at=T0)
        assert followup_store.create_if_absent(org, task)
    with frozen_at(datetime(2025, 3, 6, 12, tzinfo=UTC)):
        assert kpis.close_day(org, "loc_1", MAR3, timezone=NY)["followups_overdue"] == 2
        assert kpis.close_day(org, "loc_2", MAR3, timezone=NY)["followups_overdue"] == 0


@given(st.integers(-10**12, 10**12), st.integers(-10**9, 10**9), st.sampled_from([1, 2, 4]))
def test_a_ratio_rounds_half_up_as_decimal_arithmetic_does(numerator, denominator, places):
    from decimal import ROUND_HALF_UP, Decimal, localcontext

    expected = None
    if denominator:
        with localcontext() as context:
            context.prec = 60  # beyond any quotient here: the rounding is decided on exact digits
            exact = Decimal(numerator) / Decimal(denominator)
            expected = float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    assert kpi.ratio(numerator, denominator, places)["value"] == expected
    assert kpi.ratio(1, 8, 2)["value"] == 0.13 and kpi.ratio(-1, 8, 2)["value"] == -0.13  # halves away from zero
