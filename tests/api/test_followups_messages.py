from datetime import UTC, datetime

import pytest

from infra.local_audit import of_resource
from shared.adapters.notifier import SendError
from shared.clock import frozen_at
from shared.services import sender
from tests.factories import location_body, patient_body
from tests.helpers import StubNotifier

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with frozen_at(NOW):
        yield NOW


@pytest.fixture
def location(admin):
    return admin.post("/locations", location_body()).data


def _missed(admin, location, first_name="Ana"):
    patient = admin.post("/patients", patient_body(location["id"], first_name=first_name)).data
    apt = admin.post("/appointments", {"patient_id": patient["id"], "start": "2026-03-02T11:00:00-05:00"})
    assert apt.status_code == 201, apt.data
    with frozen_at(datetime(2026, 3, 2, 17, 0, tzinfo=UTC)):
        assert admin.post(f"/appointments/{apt.data['id']}/no-show").status_code == 200
    return patient, apt.data


def test_worklist_by_kind_and_status_and_resolving_a_task(admin, location, audit_events):
    with frozen_at(datetime(2026, 3, 2, 14, 0, tzinfo=UTC)):
        patient, apt = _missed(admin, location)
    listed = admin.get(f"/followups?location_id={location['id']}&kind=no_show&status=open")
    assert listed.status_code == 200
    (task,) = listed.data["items"]
    assert (task["kind"], task["status"], task["patient_id"], task["appointment_id"], task["missed_code"]) == (
        "no_show", "open", patient["id"], apt["id"], "D9986")
    assert task["patient_name"] == "Ana Núñez"  # the worklist names the patient; reading it is audited
    assert [event["resource_ids"] for event in of_resource(audit_events.events, admin.org, patient["id"])
            if event["action"] == "followup.list"] == [[task["id"], patient["id"]]]
    assert task["due_date"] == "2026-03-02" and task["owner"] == "user-1"
    assert admin.get(f"/followups?location_id={location['id']}&kind=callback").data["items"] == []

    resolved = admin.post(f"/followups/{task['id']}/resolve", {"outcome": "rebooked", "note": "Thursday 9am"})
    assert resolved.status_code == 200, resolved.data
    assert (resolved.data["status"], resolved.data["outcome"], resolved.data["resolved_by"]) == (
        "resolved", "rebooked", "user-1")
    assert resolved.headers["ETag"] == '"2"'
    assert admin.post(f"/followups/{task['id']}/resolve", {"outcome": "rebooked"}).status_code == 422
    assert admin.get(f"/followups?location_id={location['id']}&status=open").data["items"] == []
    assert [t["id"] for t in admin.get(f"/followups?location_id={location['id']}&status=resolved").data["items"]] == [
        task["id"]]


def test_followup_access_and_validation(admin, location):
    with frozen_at(datetime(2026, 3, 2, 14, 0, tzinfo=UTC)):
        _missed(admin, location)
    (task,) = admin.get(f"/followups?location_id={location['id']}").data["items"]
    assert admin.as_(org="org_elsewhere").post(f"/followups/{task['id']}/resolve",
                                               {"outcome": "contacted"}).status_code == 404
    assert admin.as_(role="readonly").post(f"/followups/{task['id']}/resolve",
                                           {"outcome": "contacted"}).status_code == 403
    assert admin.post(f"/followups/{task['id']}/resolve", {"outcome": "teleported"}).status_code == 400
    assert admin.get("/followups").status_code == 400
    assert admin.get(f"/followups?location_id={location['id']}&kind=nonsense").status_code == 400
    hidden = admin.as_(role="coordinator", locations=["loc_00000000000000000000000000"])
    assert hidden.get(f"/followups?location_id={location['id']}").status_code == 404


def test_messages_show_planned_sent_failed_and_suppressed_with_reasons(admin, clock, location):
    reachable = admin.post("/patients", patient_body(location["id"])).data
    consentless = admin.post("/patients", patient_body(location["id"], first_name="Luis", consent={})).data
    booked = [admin.post("/appointments", {"patient_id": p["id"], "start": "2026-03-10T11:30:00-04:00"}).data
              for p in (reachable, consentless)]
    stub = StubNotifier(fail={2: SendError("MessageRejected", "rejected", retryable=False)})
    at = datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC)
    with frozen_at(at):
        sender.run(at, stub, orgs=[admin.org])

    mine = admin.get(f"/messages?patient_id={reachable['id']}").data["items"]
    assert [(m["kind"], m["channel"], m["status"]) for m in mine][:1] == [("reminder_2h", "sms", "planned")]  # newest
    two_day = {m["channel"]: m for m in mine if m["kind"] == "reminder_2d"}
    assert {m["status"] for m in two_day.values()} == {"sent", "failed"}
    sent = [m for m in two_day.values() if m["status"] == "sent"][0]
    assert sent["provider_message_id"].startswith("stub-") and sent["appointment_id"] == booked[0]["id"]
    failed = [m for m in two_day.values() if m["status"] == "failed"][0]
    assert failed["reason"] == "send_failed: MessageRejected"

    theirs = admin.get(f"/messages?appointment_id={booked[1]['id']}").data["items"]
    assert {(m["status"], m["reason"]) for m in theirs} == {("suppressed", "no_consent")}

    day = admin.get(f"/messages?location_id={location['id']}&date=2026-03-08").data["items"]
    assert len(day) == 4 and {m["kind"] for m in day} == {"reminder_2d"}
    assert [m["send_at"] for m in day] == sorted(m["send_at"] for m in day)
    assert admin.get(f"/messages?location_id={location['id']}").data["items"] == []  # today: nothing goes out

    assert admin.get("/messages").status_code == 400
    assert admin.get(f"/messages?patient_id={reachable['id']}&location_id={location['id']}").status_code == 400
    assert admin.get(f"/messages?patient_id={reachable['id']}&date=2026-03-08").status_code == 400
    assert admin.as_(org="org_elsewhere").get(f"/messages?appointment_id={booked[0]['id']}").status_code == 404
    assert admin.as_(role="readonly").get(f"/messages?patient_id={reachable['id']}").status_code == 200


def test_a_followup_is_reassigned_and_snoozed_with_if_match_and_moves_in_the_owner_filter(admin, location):
    """Issue 11: tasks could not be reassigned, snoozed or filtered by owner."""
    with frozen_at(datetime(2026, 3, 2, 14, 0, tzinfo=UTC)):
        _missed(admin, location)
    by_owner = f"/followups?location_id={location['id']}&owner="
    (task,) = admin.get(f"{by_owner}user-1").data["items"]  # the person who recorded the no-show
    assert admin.get(f"{by_owner}coord-b").data["items"] == []
    path = f"/followups/{task['id']}"
    assert admin.patch(path, {"owner": "coord-b"}).status_code == 428
    moved = admin.patch(path, {"owner": "coord-b", "due_date": "2026-03-09"},
                        headers={"If-Match": f'"{task["version"]}"'})
    assert moved.status_code == 200, moved.data
    assert (moved.data["owner"], moved.data["due_date"]) == ("coord-b", "2026-03-09")
    assert [t["id"] for t in admin.get(f"{by_owner}coord-b&kind=no_show&status=open").data["items"]] == [task["id"]]
    assert admin.get(f"{by_owner}user-1").data["items"] == []
    stale = admin.patch(path, {"owner": "front_desk"}, headers={"If-Match": f'"{task["version"]}"'})
    assert stale.status_code == 412
    assert admin.patch(path, {"owner": None}, headers={"If-Match": f'"{moved.data["version"]}"'}).status_code == 400
    assert admin.patch(path, {}, headers={"If-Match": f'"{moved.data["version"]}"'}).status_code == 400
