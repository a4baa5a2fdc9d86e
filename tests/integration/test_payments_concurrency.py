"""Real concurrency on DynamoDB Local (moto does not honour the conditions under races the way DynamoDB
does): the API served in-process by Chalice's threaded local server, 50 client threads released at once.

- 50 POST /payments with one Idempotency-Key: exactly one payment and one ledger entry; every other
  request gets 409 (still in progress) or the first response replayed.
- 50 refunds of one payment that together ask for more than it holds: the refunded total never exceeds
  the payment, and the ledger's refunds equal it exactly.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest

from infra.local_keys import mint_token
from shared.domain.payments import Payment
from shared.store import ledger as ledger_store
from shared.store import payments as payment_store
from tests.factories import coverage_body, location_body, patient_body, plan_body

pytestmark = pytest.mark.ddblocal
THREADS = 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def api(ddblocal_store, keys_dir, org, monkeypatch) -> Iterator[Client]:
    from chalice.local import ThreadedHTTPServer

    from app import app
    from infra.local_stack import serve_api

    # socketserver listens with a backlog of 5: 50 clients connecting at once would be turned away
    # before any of our code ran. A larger backlog lets every request reach the API.
    monkeypatch.setattr(ThreadedHTTPServer, "request_queue_size", 128)
    original_class = app.__class__  # Chalice's local server swaps the app's class; give it back after
    port = _free_port()
    shutdown, thread = serve_api(port)
    try:
        yield Client(f"http://127.0.0.1:{port}", mint_token(keys_dir, org=org, role="admin", locations=["*"]))
    finally:
        shutdown()
        thread.join(timeout=10)
        app.__class__ = original_class


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - local test server
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _all_at_once(calls) -> list:
    """Run every call in its own thread, released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _plan(api: Client) -> dict:
    status, _, location = api.call("POST", "/locations", location_body())
    assert status == 201
    _, _, patient = api.call("POST", "/patients", patient_body(location["id"]))
    api.call("PUT", f"/patients/{patient['id']}/coverage", coverage_body())
    _, _, plan = api.call("POST", "/plans", plan_body(patient["id"]))
    status, _, plan = api.call("POST", f"/plans/{plan['id']}/present", {})
    assert status == 200, plan
    return plan


def _ledger_items(org: str, plan_id: str) -> list[dict]:
    """Every ledger item of the plan, read with a strongly consistent Query of the base table."""
    return ledger_store.entries(org, plan_id, consistent=True)


def _payments_of(org: str, plan_id: str) -> list[Payment]:
    return payment_store.payments_of(org, plan_id)


def test_fifty_concurrent_payments_with_one_key_make_one_payment(api, org):
    plan = _plan(api)
    body = {"plan_id": plan["id"], "amount_cents": 25000, "method": "card_terminal", "reference": "T-50"}
    headers = {"Idempotency-Key": "one-key-for-fifty"}
    results = _all_at_once([lambda: api.call("POST", "/payments", body, headers)] * THREADS)

    outcomes = Counter((status, h.get("Idempotent-Replayed")) for status, h, _ in results)
    assert outcomes[(201, None)] == 1, outcomes
    assert set(outcomes) <= {(201, None), (201, "true"), (409, None)}, outcomes
    created = next(data for status, h, data in results if status == 201 and "Idempotent-Replayed" not in h)
    assert all(data == created for status, _, data in results if status == 201)

    payments = _payments_of(org, plan["id"])
    ledger = _ledger_items(org, plan["id"])
    assert [p.id for p in payments] == [created["id"]]
    assert [(e["kind"], e["amount_cents"], e["payment_id"]) for e in ledger] == [("payment", 25000, created["id"])]
    # After the storm the key simply replays.
    status, headers_out, data = api.call("POST", "/payments", body, headers)
    assert (status, headers_out.get("Idempotent-Replayed"), data) == (201, "true", created)


def test_fifty_concurrent_refunds_never_exceed_the_payment(api, org):
    plan = _plan(api)
    amount, each = 10000, 300  # 50 x 300 = 15000 asked of a 10000 payment
    _, _, payment = api.call("POST", "/payments", {"plan_id": plan["id"], "amount_cents": amount, "method": "cash"},
                             {"Idempotency-Key": "refund-target"})

    def refund(i: int):
        return lambda: api.call("POST", f"/payments/{payment['id']}/refunds",
                                {"amount_cents": each, "reason": f"refund {i}"}, {"Idempotency-Key": f"refund-{i}"})

    results = _all_at_once([refund(i) for i in range(THREADS)])
    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) <= {201, 409, 422}, statuses
    assert statuses[201] >= 1

    stored = payment_store.load_payment(org, payment["id"], consistent=True)
    refunds = payment_store.refunds_of(org, payment["id"])
    ledger_refunds = [e for e in _ledger_items(org, plan["id"]) if e["kind"] == "refund"]
    assert stored.refunded_cents <= amount
    assert stored.refunded_cents == statuses[201] * each == sum(r.amount_cents for r in refunds)
    assert sum(e["amount_cents"] for e in ledger_refunds) == stored.refunded_cents
    assert len(ledger_refunds) == len(refunds) == statuses[201]


def test_concurrent_retries_of_one_refund_refund_once(api, org):
    plan = _plan(api)
    _, _, payment = api.call("POST", "/payments", {"plan_id": plan["id"], "amount_cents": 5000, "method": "cash"},
                             {"Idempotency-Key": "retry-target"})
    body, headers = {"amount_cents": 1000, "reason": "overcharged"}, {"Idempotency-Key": "one-refund"}
    results = _all_at_once([lambda: api.call("POST", f"/payments/{payment['id']}/refunds", body, headers)] * 20)
    assert Counter(status for status, _, _ in results) <= Counter({201: 20, 409: 20})
    stored = payment_store.load_payment(org, payment["id"], consistent=True)
    assert stored.refunded_cents == 1000 and len(payment_store.refunds_of(org, payment["id"])) == 1
