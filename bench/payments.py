"""Payment routes end to end: POST /payments (new key and replay), refunds, the ledger, with DynamoDB requests.

Same harness as the other route benchmarks (bench/common.py: the app in process through Chalice's test
client, a fresh in-memory DynamoDB Local or --endpoint). One presented and accepted plan; each payment
has its own Idempotency-Key, each replay resends a payment's key and body (answered from the key's stored
response), each refund takes part of one payment. Calls are sequential: these are per-request costs, not
throughput; the concurrency guarantees are tested in tests/integration/test_payments_concurrency.py.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.common import Phase, api_session, phase_report
from bench.plans import COVERAGE, PHASES  # the same insured patient and four-procedure plan

DEFAULT_PAYMENTS = 200


def keyed_call(api: Any, phase: Phase, path: str, body: dict, key: str, replayed: bool) -> Any:
    """A timed POST with an Idempotency-Key (bench.common.Api.call sends no extra headers)."""
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json", "Idempotency-Key": key}
    api.counter.take()
    started = time.perf_counter()
    response = api.client.http.post(path, headers=headers, body=json.dumps(body))
    phase.seconds.append(time.perf_counter() - started)
    calls, ddb_seconds = api.counter.take()
    phase.ddb_calls.update(calls)
    phase.ddb_seconds += ddb_seconds
    replay_header = response.headers.get("Idempotent-Replayed") == "true"
    if response.status_code != 201 or replay_header != replayed:
        raise RuntimeError(f"POST {path} answered {response.status_code} (replayed: {replay_header}): "
                           f"{response.body[:500]!r}")
    return json.loads(response.body)


def scenario(api: Any, payments: int) -> list[Phase]:
    setup = Phase("setup")
    location = api.call(setup, "POST", "/locations",
                        {"name": "Bench", "timezone": "America/Chicago", "phone": "+13125550100"}, expect=201)
    patient = api.call(setup, "POST", "/patients",
                       {"location_id": location["id"], "first_name": "Bench", "last_name": "Patient",
                        "date_of_birth": "1980-01-01"}, expect=201)
    api.call(setup, "PUT", f"/patients/{patient['id']}/coverage", COVERAGE)
    plan = api.call(setup, "POST", "/plans", {"patient_id": patient["id"], "phases": PHASES}, expect=201)
    presented = api.call(setup, "POST", f"/plans/{plan['id']}/present", {})
    api.call(setup, "POST", f"/plans/{plan['id']}/accept", {"signer_name": "Bench", "version": presented["version"]})

    create, replay = Phase("POST /payments (new key)"), Phase("POST /payments (replay)")
    refund, ledger = Phase("POST /payments/{id}/refunds"), Phase(f"GET ledger ({payments} payments)")
    options = Phase("GET payment-options")
    bodies = [{"plan_id": plan["id"], "amount_cents": 1000 + i, "method": "card_terminal", "reference": f"T-{i}"}
              for i in range(payments)]
    created = [keyed_call(api, create, "/payments", body, f"bench-pay-{i}", replayed=False)
               for i, body in enumerate(bodies)]
    for i, body in enumerate(bodies):
        if keyed_call(api, replay, "/payments", body, f"bench-pay-{i}", replayed=True) != created[i]:
            raise RuntimeError("a replay answered something other than the first response")
    for i, payment in enumerate(created):
        keyed_call(api, refund, f"/payments/{payment['id']}/refunds", {"amount_cents": 500, "reason": "bench"},
                   f"bench-refund-{i}", replayed=False)
    for _ in range(20):
        balances = api.call(ledger, "GET", f"/plans/{plan['id']}/ledger")["balances"]
        api.call(options, "GET", f"/plans/{plan['id']}/payment-options")
    expected = sum(b["amount_cents"] for b in bodies) - 500 * payments
    if -balances["patient_balance_cents"] != expected:
        raise RuntimeError(f"ledger balance {balances} does not match {expected} cents paid net of refunds")
    return [create, replay, refund, ledger, options]


def report(payments: int, endpoint: str | None) -> str:
    started = time.perf_counter()
    with api_session(endpoint) as (api, where):
        phases = scenario(api, payments)
    elapsed = time.perf_counter() - started
    return phase_report("Payment routes through the in-process Chalice client", where, [
        f"{payments} payments (each with its own Idempotency-Key), {payments} replays, {payments} refunds, "
        "on one accepted plan; the ledger read 20 times at the end",
        "A new payment: claim the key (PutItem), read the plan (GetItem), one TransactWriteItems (payment,",
        "ledger entry, key completion); a replay: the failed claim (PutItem) and the key read (GetItem).",
    ], phases, elapsed)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--payments", type=int, default=DEFAULT_PAYMENTS,
                        help=f"payments to record (default {DEFAULT_PAYMENTS})")
    parser.add_argument("--endpoint", default=None, help="a running DynamoDB endpoint instead of DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    if args.payments < 1:
        raise SystemExit("--payments must be at least 1")
    print(report(args.payments, args.endpoint), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench payments", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
