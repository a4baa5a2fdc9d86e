import itertools
from datetime import UTC, datetime, timedelta

from shared.domain import plan_lifecycle
from shared.domain.opportunities import OpportunityKind, opportunity_of, worklist
from shared.domain.plan_building import new_plan

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
_ids = itertools.count()


def plan(plan_id, fees=(10000, 20000)):
    phases = [{"name": "Restore", "steps": [{"procedures": [
        {"code": "D2740", "tooth": "3", "surfaces": None, "fee_cents": fee, "category": "crowns"}]} for fee in fees]}]
    made = new_plan(plan_id=plan_id, patient_id="pat_1", location_id="loc_1", coordinator_id="coord-a",
                    phases=phases, now=T0, id_factory=lambda: f"stp_{next(_ids):026d}")
    estimate = {"totals": {"fee_cents": made.fee_cents, "writeoff_cents": 0, "insurance_cents": 0,
                           "patient_cents": made.fee_cents}}
    return plan_lifecycle.present(made, estimate=estimate, now=T0)


def test_each_kind_with_its_value_at_any_age():
    later = T0 + timedelta(days=200)
    presented = plan("pln_p")
    declined = plan_lifecycle.decline(plan("pln_d"), reason="cost", now=T0 + timedelta(days=1))
    partly = plan("pln_a")
    partly = plan_lifecycle.accept(partly, signer_name="Ana", signed_version=partly.version, now=T0,
                                   step_ids=[partly.steps[1].id])
    alternative = plan_lifecycle.decline_as_alternative(plan("pln_x"), accepted_plan_id="pln_a", now=T0)
    found = {o.plan_id: (o.kind, o.value_cents) for p in (presented, declined, partly, alternative)
             if (o := opportunity_of(p, later)) is not None}
    assert found == {"pln_p": (OpportunityKind.EXPIRED, 30000), "pln_d": (OpportunityKind.DECLINED, 30000),
                     "pln_a": (OpportunityKind.UNSCHEDULED_STEPS, 20000)}
    assert opportunity_of(presented, T0 + timedelta(days=1)).kind == OpportunityKind.PRESENTED
    scheduled = plan_lifecycle.mark_step_scheduled(partly, partly.steps[1].id, now=T0)
    assert opportunity_of(scheduled, later) is None
    listed = worklist([opportunity_of(p, later) for p in (presented, declined, partly)], min_value_cents=25000)
    assert [o.plan_id for o in listed] == ["pln_d", "pln_p"]
