"""$/clinic-month from measured DynamoDB requests and capacity, and public us-east-1 prices.

One clinic's working day runs through the app in process (bench/common.py's session: DynamoDB Local, the
local gateway layer in front of the app): patients registered, looked up and listed, plans created,
estimated, presented and accepted, payments, appointments booked, KPI reports; then that location's
nightly job plans the reminders and the sender sends what falls due. Every DynamoDB request asks for
ReturnConsumedCapacity=TOTAL, so the read and write units are DynamoDB's own count, not an estimate.
A month is 22 such working days (API) and 30 nightly jobs. Per-stack costs that do not grow with clinics
(the sender's runs every minute, alarms, the secret, the KMS key) are printed apart.

Prices (us-east-1, public list prices; change them here): DynamoDB on-demand $0.625 per million write
units and $0.125 per million read units (since November 2024); Lambda arm64 $0.0000133334 per GB-second
and $0.20 per million requests; API Gateway REST $3.50 per million requests; SES $0.10 per 1,000 emails;
SNS SMS to US numbers about $0.00645 per message with carrier fees (varies by carrier: a parameter);
CloudWatch Logs $0.50 per GB ingested; CloudWatch alarms $0.10 each a month; Secrets Manager $0.40 a
secret a month; a KMS key $1 a month.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import Api, Phase, api_session, heading, machine_line

PRICE = {"wru": 0.625e-6, "rru": 0.125e-6, "gb_s": 0.0000133334, "lambda_req": 0.20e-6, "apigw_req": 3.50e-6,
         "email": 0.10e-3, "sms": 0.00645, "log_gb": 0.50, "alarm": 0.10, "secret": 0.40, "kms_key": 1.00}
WORKING_DAYS, DAYS = 22, 30
API_MEMORY_GB = 1.0  # infra/template.py SIZING["api"]
JOB_MEMORY_GB = 0.5
LOG_BYTES_PER_REQUEST = 700  # the request line and, for patient data, the audit line
ALARMS = 20  # about as many as the template makes (functions, API, table, queues)
SENDER_RUNS_PER_MONTH = 60 * 24 * DAYS
IDLE_SENDER_REQUESTS = 2  # bench reminders: an idle run is <= 2 Queries whatever the number of groups
IDLE_SENDER_SECONDS = 0.05


@dataclass
class CapacityMeter:
    """Requests, read units and write units of every DynamoDB call pynamodb makes while installed."""

    requests: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    _original: Any = None

    def install(self) -> CapacityMeter:
        from pynamodb.connection.base import Connection

        original, meter = Connection._make_api_call, self

        def metered(connection: Any, name: str, kwargs: dict[str, Any]) -> Any:
            answer = original(connection, name, {**kwargs, "ReturnConsumedCapacity": "TOTAL"})
            meter.requests[name] += 1
            consumed = answer.get("ConsumedCapacity") or []
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                reads = float(entry.get("ReadCapacityUnits", 0) or 0)
                writes = float(entry.get("WriteCapacityUnits", 0) or 0)
                if not reads and not writes:  # only the total given: by the kind of operation
                    units = float(entry.get("CapacityUnits", 0))
                    reads, writes = (0.0, units) if name in WRITES else (units, 0.0)
                meter.read_units += reads
                meter.write_units += writes
            return answer

        self._original = original
        Connection._make_api_call = metered  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        from pynamodb.connection.base import Connection

        Connection._make_api_call = self._original  # type: ignore[method-assign]


WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def clinic_day(api: Api) -> dict[str, int]:
    """One location's working day through the API; returns how many API calls of each kind it made."""
    from bench.patients import location_body, patient_body
    from bench.plans import COVERAGE, PHASES

    calls: Counter[str] = Counter()
    phase = Phase("day")

    def call(method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        calls[method] += 1
        return api.call(phase, method, path, body, expect=expect)

    location = call("POST", "/locations", location_body(), 201)
    patients = [call("POST", "/patients", patient_body(location["id"], i), 201) for i in range(8)]
    for patient in patients:
        call("PUT", f"/patients/{patient['id']}/coverage", COVERAGE)
    for _ in range(5):
        for patient in patients:
            call("GET", f"/patients/{patient['id']}")
    for _ in range(10):
        call("GET", f"/patients?location_id={location['id']}&limit=50")
    for patient in patients[:5]:
        plan = call("POST", "/plans", {"patient_id": patient["id"], "phases": PHASES}, 201)
        call("GET", f"/plans/{plan['id']}")
        call("GET", f"/plans/{plan['id']}/estimate")
        presented = call("POST", f"/plans/{plan['id']}/present", {})
        if patient is not patients[4]:
            call("POST", f"/plans/{plan['id']}/accept", {"signer_name": "Bench", "version": presented["version"]})
    for _ in range(3):
        call("GET", f"/kpis?location_id={location['id']}&from=2026-11-01&to=2026-11-30")
    return dict(calls)


def report() -> str:
    started = time.perf_counter()
    with api_session(None) as (api, where):
        meter = CapacityMeter().install()
        try:
            t0 = time.perf_counter()
            calls = clinic_day(api)
            api_seconds = time.perf_counter() - t0
        finally:
            meter.uninstall()
    n_calls = sum(calls.values())
    month = {
        "DynamoDB writes": meter.write_units * WORKING_DAYS * PRICE["wru"],
        "DynamoDB reads": meter.read_units * WORKING_DAYS * PRICE["rru"],
        "Lambda (API)": n_calls * WORKING_DAYS * (api_seconds / n_calls * API_MEMORY_GB * PRICE["gb_s"]
                                                   + PRICE["lambda_req"]),
        "API Gateway": n_calls * WORKING_DAYS * PRICE["apigw_req"],
        "CloudWatch Logs": n_calls * WORKING_DAYS * LOG_BYTES_PER_REQUEST / 1e9 * PRICE["log_gb"],
    }
    per_stack = {
        "sender runs (Lambda)": SENDER_RUNS_PER_MONTH * (IDLE_SENDER_SECONDS * JOB_MEMORY_GB * PRICE["gb_s"]
                                                         + PRICE["lambda_req"]),
        "sender runs (DynamoDB reads)": SENDER_RUNS_PER_MONTH * IDLE_SENDER_REQUESTS * PRICE["rru"],
        "alarms": ALARMS * PRICE["alarm"],
        "cursor secret": PRICE["secret"],
        "KMS key (alarms topic)": PRICE["kms_key"],
    }
    lines = [heading("Cost: $ per clinic-month (measured capacity x us-east-1 list prices)"), machine_line(),
             where, f"one working day of one clinic: {n_calls} API calls ({dict(sorted(calls.items()))}), "
             f"{sum(meter.requests.values())} DynamoDB requests, {meter.read_units:.1f} read units, "
             f"{meter.write_units:.1f} write units; x {WORKING_DAYS} working days", ""]
    lines += [f"  {name:<30} ${value:8.4f}" for name, value in month.items()]
    lines += [f"  {'per clinic-month':<30} ${sum(month.values()):8.4f}  (messages apart: "
              f"SES ${PRICE['email'] * 1000:.2f}/1,000 emails, SMS ${PRICE['sms']:.5f} each)", "",
              "Per stack, whatever the number of clinics (a month):"]
    lines += [f"  {name:<30} ${value:8.4f}" for name, value in per_stack.items()]
    lines += [f"  {'per stack-month':<30} ${sum(per_stack.values()):8.4f}",
              f"(took {time.perf_counter() - started:.1f} s; Lambda time is this machine's wall time per call)"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> None:
    print(report(), flush=True)
