"""The treatment-opportunity worklist: at any age, by value, with benefits, last contact and owner."""

from datetime import UTC, datetime

from shared.clock import frozen_at
from shared.services import followups
from shared.services.locations import load
from tests.factories import insured_patient, quoted_plan

LONG_AGO = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 9, 17, 15, 0, tzinfo=UTC)  # 200 days later


def test_declined_and_expired_plans_from_200_days_ago_are_listed_with_their_value(admin):
    with frozen_at(LONG_AGO):
        location, patient = insured_patient(admin)
        declined = quoted_plan(admin, patient["id"])
        assert admin.post(f"/plans/{declined['id']}/decline", {"reason": "cost"}).status_code == 200
        expired = quoted_plan(admin, patient["id"])
    with frozen_at(NOW):
        accepted = quoted_plan(admin, patient["id"], accept_steps=2)  # exam and cleaning, root canal: pending
        listed = admin.get(f"/opportunities?location_id={location['id']}")
        assert listed.status_code == 200, listed.data
        found = [(o["kind"], o["plan_id"], o["value_cents"]) for o in listed.data["items"]]
        assert found == sorted([("declined", declined["id"], 262000), ("expired", expired["id"], 262000)],
                               key=lambda row: row[1]) + [("unscheduled_steps", accepted["id"], 132000)]
        first = listed.data["items"][0]
        assert first["remaining_benefits_cents"] == 60000 and first["owner"] == "user-1"
        assert first["last_contact_at"] is None and first["patient_id"] == patient["id"]
        assert first["patient_name"] == f"{patient['first_name']} {patient['last_name']}"
        big = admin.get(f"/opportunities?location_id={location['id']}&min_value_cents=200000&kind=declined")
        assert [o["plan_id"] for o in big.data["items"]] == [declined["id"]]
        paged = admin.get(f"/opportunities?location_id={location['id']}&limit=2")
        rest = admin.get(f"/opportunities?location_id={location['id']}&limit=2&cursor={paged.data['next_cursor']}")
        assert rest.status_code == 200, (paged.data, rest.data)
        assert [o["plan_id"] for o in paged.data["items"] + rest.data["items"]] == [o[1] for o in found]

        # The nightly rule opens the unscheduled-treatment task; reassigning it moves the opportunity.
        followups.plan_followups_for_location(admin.org, load(admin.org, location["id"]), NOW)
        (mine,) = admin.get(f"/opportunities?location_id={location['id']}&kind=unscheduled_steps").data["items"]
        task = admin.get(f"/followups?location_id={location['id']}&kind=unscheduled_treatment").data["items"][0]
        assert mine["followup_id"] == task["id"]
        moved = admin.patch(f"/followups/{task['id']}", {"owner": "coord-b"},
                            headers={"If-Match": f'"{task["version"]}"'})
        assert moved.status_code == 200
        theirs = admin.get(f"/opportunities?location_id={location['id']}&owner=coord-b").data["items"]
        assert [o["plan_id"] for o in theirs] == [accepted["id"]]
        assert accepted["id"] not in [o["plan_id"] for o in
                                      admin.get(f"/opportunities?location_id={location['id']}&owner=user-1").data["items"]]
