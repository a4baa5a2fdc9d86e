"""The unused-benefits message reaches every patient with pending treatment in the benefit year's last quarter."""

from datetime import UTC, datetime

from shared.clock import frozen_at
from shared.services import followups
from shared.services.locations import load
from tests.factories import insured_patient, quoted_plan


def test_a_plan_presented_long_ago_and_never_answered_still_gets_the_unused_benefits_message(admin):
    """Issue 11: only signed plans with unscheduled steps were considered (presented ones only for 31 days)."""
    with frozen_at(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):
        location, patient = insured_patient(admin)  # calendar benefit year, $600 of the maximum unused
        quoted_plan(admin, patient["id"])  # presented, never answered
        consent = {"email": {"appointment": True, "treatment": True}, "sms": {"appointment": True}}
        changed = admin.patch(f"/patients/{patient['id']}", {"consent": consent},
                              headers={"If-Match": f'"{patient["version"]}"'})
        assert changed.status_code == 200, changed.data
    night = datetime(2026, 10, 15, 6, 0, tzinfo=UTC)  # 02:00 in New York, in the year's last quarter
    with frozen_at(night):
        followups.plan_followups_for_location(admin.org, load(admin.org, location["id"]), night)
        followups.plan_followups_for_location(admin.org, load(admin.org, location["id"]), night)
    messages = [m for m in admin.get(f"/messages?patient_id={patient['id']}").data["items"]
                if m["kind"] == "unused_benefits"]
    assert [(m["channel"], m["status"], m["send_at"]) for m in messages] == [
        ("email", "planned", "2026-10-15T14:00:00.000Z")]
