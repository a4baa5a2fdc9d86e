"""Payments and refunds over HTTP: idempotency keys, the ledger entry of every payment, refund limits,
pay in full, tenancy and input checks. On moto and DynamoDB Local (the `admin` fixture's store)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.clock import frozen_at, iso, now
from shared.commands.payments import PaymentCreate
from shared.store import idempotency
from shared.store import ledger as ledger_store
from shared.store import payments as payment_store
from shared.store.table import Record
from tests.factories import insured_patient, int_cents_only, quoted_plan  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("int_cents_only")


@pytest.fixture
def plan(admin):
    _, patient = insured_patient(admin)
    return quoted_plan(admin, patient["id"], accept_steps=0)


def pay(caller, plan, key, amount=50000, **fields):
    body = {"plan_id": plan["id"], "amount_cents": amount, "method": "card_terminal", "reference": "T-1", **fields}
    return caller.post("/payments", body, headers={"Idempotency-Key": key})


def refund(caller, payment_id, key, amount, reason="treatment changed"):
    return caller.post(f"/payments/{payment_id}/refunds", {"amount_cents": amount, "reason": reason},
                       headers={"Idempotency-Key": key})


def ledger(caller, plan):
    response = caller.get(f"/plans/{plan['id']}/ledger")
    assert response.status_code == 200, response.data
    return response.data


def test_a_payment_is_recorded_with_its_ledger_entry(admin, plan):
    created = pay(admin, plan, "pay-1")
    assert created.status_code == 201, created.data
    payment = created.data
    assert {k: payment[k] for k in ("plan_id", "patient_id", "amount_cents", "method", "reference", "status",
                                    "refunded_cents")} == {
        "plan_id": plan["id"], "patient_id": plan["patient_id"], "amount_cents": 50000, "method": "card_terminal",
        "reference": "T-1", "status": "completed", "refunded_cents": 0}
    assert payment["id"].startswith("pay_") and payment["created_at"].endswith("Z")
    assert "Idempotent-Replayed" not in created.headers and created.headers["ETag"] == '"1"'

    book = ledger(admin, plan)
    assert [(e["kind"], e["party"], e["amount_cents"], e["payment_id"]) for e in book["entries"]] == [
        ("payment", "patient", 50000, payment["id"])]
    assert book["balances"]["patient_balance_cents"] == -50000 and book["balances"]["paid_cents"] == 50000

    fetched = admin.get(f"/payments/{payment['id']}")
    assert fetched.status_code == 200 and fetched.data["refunds"] == [] and fetched.data["id"] == payment["id"]
    for query in (f"plan_id={plan['id']}", f"patient_id={plan['patient_id']}"):
        listed = admin.get(f"/payments?{query}")
        assert listed.status_code == 200 and [p["id"] for p in listed.data["items"]] == [payment["id"]]


def test_the_idempotency_key_is_required_replayed_and_bound_to_its_request(admin, plan):
    missing = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 100, "method": "cash"})
    assert missing.status_code == 428 and missing.data["error"]["code"] == "precondition_required"
    assert pay(admin, plan, "has space").status_code == 400

    first = pay(admin, plan, "key-A", amount=12345)
    replay = pay(admin, plan, "key-A", amount=12345)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.data == first.data
    other_body = pay(admin, plan, "key-A", amount=12346)
    assert other_body.status_code == 422 and "Idempotency-Key" in other_body.data["error"]["message"]

    assert len(admin.get(f"/payments?plan_id={plan['id']}").data["items"]) == 1
    assert len(ledger(admin, plan)["entries"]) == 1
    # Keys belong to a group: another group's identical key is its own.
    assert pay(admin.as_(org="org_other"), plan, "key-A", amount=12345).status_code == 404


def test_keys_live_24_hours(admin, plan):
    first = pay(admin, plan, "day-key", amount=100)
    with frozen_at(now() + timedelta(hours=23, minutes=59)):
        assert pay(admin, plan, "day-key", amount=999).status_code == 422
    with frozen_at(now() + timedelta(hours=24, minutes=1)):
        again = pay(admin, plan, "day-key", amount=999)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.data["id"] != first.data["id"]


def test_a_key_in_flight_is_409_until_its_lease_runs_out(admin, plan):
    body = {"plan_id": plan["id"], "amount_cents": 700, "method": "cash"}
    fingerprint = idempotency.fingerprint("POST /payments", {}, PaymentCreate(**body).model_dump(mode="json"))

    def held_by_another_request(lease_until):
        doc = {"status": "in_progress", "claim": "another-request", "fingerprint": fingerprint,
               "lease_until": iso(lease_until), "created_at": iso(now())}
        Record(pk=idempotency.pk(admin.org, "in-flight"), sk=idempotency.SK, kind="idempotency",
               expires=now() + timedelta(hours=24), doc=doc).save()

    held_by_another_request(now() + timedelta(seconds=30))
    busy = admin.post("/payments", body, headers={"Idempotency-Key": "in-flight"})
    assert busy.status_code == 409 and "in progress" in busy.data["error"]["message"]
    held_by_another_request(now() - timedelta(seconds=1))  # that request died holding the key
    taken_over = admin.post("/payments", body, headers={"Idempotency-Key": "in-flight"})
    assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over.headers


def test_a_failed_payment_releases_its_key(admin, plan):
    unknown_plan = {**plan, "id": "pln_" + "0" * 26}
    assert pay(admin, unknown_plan, "key-retry").status_code == 404
    retried = pay(admin, plan, "key-retry")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers


def test_refunds_never_exceed_what_is_left(admin, plan):
    payment = pay(admin, plan, "pay-r", amount=10000).data
    assert refund(admin, payment["id"], "r-key", 6000).status_code == 201
    replayed = refund(admin, payment["id"], "r-key", 6000)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    too_much = refund(admin, payment["id"], "r-2", 4001)
    assert too_much.status_code == 422 and "refund exceeds" in too_much.data["error"]["message"]
    rest = refund(admin, payment["id"], "r-3", 4000)
    assert rest.status_code == 201 and rest.data["payment"]["status"] == "refunded"
    assert rest.data["payment"]["refunded_cents"] == 10000
    assert refund(admin, payment["id"], "r-4", 1).status_code == 422

    fetched = admin.get(f"/payments/{payment['id']}").data
    assert fetched["refunded_cents"] == 10000 and sorted(r["amount_cents"] for r in fetched["refunds"]) == [4000, 6000]
    balances = ledger(admin, plan)["balances"]
    assert balances["refunded_cents"] == 10000 and balances["patient_balance_cents"] == 0
    no_key = admin.post(f"/payments/{payment['id']}/refunds", {"amount_cents": 1, "reason": "x"})
    assert no_key.status_code == 428


def test_pay_in_full_takes_the_discount_once(admin):
    _, patient = insured_patient(admin, pay_in_full_discount_pct=10)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    wrong = pay(admin, plan, "pif-1", amount=202000, pay_in_full=True)
    assert wrong.status_code == 422 and "181800" in wrong.data["error"]["message"]
    paid = pay(admin, plan, "pif-2", amount=181800, pay_in_full=True)
    assert paid.status_code == 201, paid.data
    assert paid.data["discount_cents"] == 20200 and paid.data["pay_in_full"] is True
    book = ledger(admin, plan)
    assert sorted((e["kind"], e["subtype"], e["amount_cents"]) for e in book["entries"]) == [
        ("adjustment", "discount", 20200), ("payment", None, 181800)]
    assert book["balances"]["discount_cents"] == 20200
    again = pay(admin, plan, "pif-3", amount=1, pay_in_full=True)
    assert again.status_code == 422 and "already given" in again.data["error"]["message"]


def test_a_fault_between_the_payment_and_its_ledger_entry_leaves_neither(admin, plan, monkeypatch):
    """The ledger entry's put fails its condition (an entry with its id is already there): the payment put
    in the same transaction does not happen either, and the key is free again."""
    from shared.services import payments as service

    fixed_id = "pay_" + "7" * 26
    blocker = ledger_store.record(admin.org, plan["id"], {"id": f"led_{fixed_id}_payment", "blocker": True})
    blocker.save()
    real_new_id = service.new_id
    monkeypatch.setattr(service, "new_id", lambda prefix: fixed_id if prefix == "pay" else real_new_id(prefix))
    failed = pay(admin, plan, "fault-1")
    assert failed.status_code == 409 and "already posted" in failed.data["error"]["message"]
    assert payment_store.load_payment(admin.org, fixed_id, consistent=True) is None
    assert admin.get(f"/payments?plan_id={plan['id']}").data["items"] == []

    monkeypatch.setattr(service, "new_id", real_new_id)
    real_post_entry = service.ledger.post_entry
    monkeypatch.setattr(service.ledger, "post_entry", _raise_fault)
    assert pay(admin, plan, "fault-1").status_code == 500
    assert admin.get(f"/payments?plan_id={plan['id']}").data["items"] == []

    monkeypatch.setattr(service.ledger, "post_entry", real_post_entry)
    blocker.delete()
    retried = pay(admin, plan, "fault-1")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert [e["kind"] for e in ledger(admin, plan)["entries"]] == ["payment"]


def _raise_fault(*args, **kwargs):
    raise RuntimeError("injected fault while building the ledger entry")


def test_other_groups_and_ungranted_locations_see_nothing(admin, plan):
    payment = pay(admin, plan, "iso-1").data
    stranger = admin.as_(org="org_stranger")
    outsider = admin.as_(role="coordinator", locations=["loc_" + "1" * 26])
    for caller in (stranger, outsider):
        assert caller.get(f"/payments/{payment['id']}").status_code == 404
        assert caller.get(f"/payments?plan_id={plan['id']}").status_code == 404
        assert caller.get(f"/payments?patient_id={plan['patient_id']}").status_code == 404
        assert caller.get(f"/plans/{plan['id']}/ledger").status_code == 404
        assert pay(caller, plan, "iso-2").status_code == 404
        assert refund(caller, payment["id"], "iso-3", 100).status_code == 404
    # The key's stored response is about a location the outsider may not see: no replay for them.
    assert pay(outsider, plan, "iso-1").status_code == 404
    assert admin.get(f"/payments/{payment['id']}").data["refunded_cents"] == 0


BAD_PAYMENTS = [
    {"amount_cents": 0}, {"amount_cents": -5}, {"amount_cents": 10.5}, {"amount_cents": "100"},
    {"method": "bitcoin"}, {"plan_id": "nope"}, {"extra": 1}, {"method": "check", "reference": None},
]


def test_bad_payments_are_400(admin, plan):
    for change in BAD_PAYMENTS:
        body = {"plan_id": plan["id"], "amount_cents": 100, "method": "check", "reference": "C-1", **change}
        response = admin.post("/payments", {k: v for k, v in body.items() if v is not None},
                              headers={"Idempotency-Key": "bad"})
        assert response.status_code == 400, (change, response.data)
    assert admin.get(f"/payments?plan_id={plan['id']}").data["items"] == []


def test_list_needs_exactly_one_filter_and_roles_are_enforced(admin, plan):
    assert admin.get("/payments").status_code == 400
    assert admin.get(f"/payments?plan_id={plan['id']}&patient_id={plan['patient_id']}").status_code == 400
    assert pay(admin.as_(role="provider"), plan, "role-1").status_code == 403
    payment = pay(admin, plan, "role-2").data
    assert refund(admin.as_(role="front_desk"), payment["id"], "role-3", 100).status_code == 403
    assert admin.get(f"/plans/{plan['id']}/ledger", headers={}).status_code == 200


def test_cash_needs_no_reference_and_lists_page_newest_first(admin, plan):
    ids = [admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 100 + i, "method": "cash"},
                      headers={"Idempotency-Key": f"cash-{i}"}).data["id"] for i in range(3)]
    first = admin.get(f"/payments?plan_id={plan['id']}&limit=2").data
    second = admin.get(f"/payments?plan_id={plan['id']}&limit=2&cursor={first['next_cursor']}").data
    assert [p["id"] for p in first["items"] + second["items"]] == list(reversed(ids))
    assert second["next_cursor"] is None
