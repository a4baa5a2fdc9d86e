"""Benefits engine: `GET /plans/{id}/estimate` and the pure estimate (20 procedures, 2 coverages, 50 history).

The scenario exercises every rule: allowed fees, copays, an alternate benefit, frequency limits (per tooth
and by category) over 50 history items, waiting periods, an age limit, per-code maximums, deductibles,
orthodontics, and a carve-out secondary.
- Pure: the estimate runs in this process; its CPU time is measured per run with `time.thread_time`
  (only this thread's CPU, so other processes on the machine do not count).
- Route: the same patient, coverages, history and plan through the API in process (bench/common.py:
  a fresh in-memory DynamoDB Local, or --endpoint), `GET /plans/{id}/estimate` timed with the DynamoDB
  requests it makes (target <= 3: the plan, the location, one Query of the patient's partition).
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from bench.common import Latency, Phase, api_session, heading, machine_line, phase_report
from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import Estimate, LineInput, Patient, estimate
from shared.domain.benefits.usage import HistoryItem, UsageEntry, UsageStatus

DEFAULT_RUNS = 500
DEFAULT_CALLS = 100
TODAY = date(2026, 11, 30)
PLAN_CODES = ("D0150", "D0274", "D1110", "D1206", "D2391", "D2392", "D2740", "D2750", "D3330", "D4341",
              "D4342", "D6010", "D7140", "D2950", "D1351", "D0220", "D2740", "D3310", "D8080", "D9110")
HISTORY_CODES = ("D1110", "D0120", "D0274", "D2391", "D2740", "D0220", "D1206", "D4341", "D1351", "D7140")
TEETH = ("3", "14", "19", "30", "8")
PRIMARY = {
    "rank": 1, "carrier": "Bench PPO", "member_id": "B-1", "renewal_month": 1, "annual_max_cents": 200_000,
    "used_cents": 40_000, "usage_as_of": "2026-03-01", "deductible_cents": 5_000, "deductible_met_cents": 0,
    "effective_date": "2026-02-01", "ortho_lifetime_max_cents": 150_000, "ortho_deductible_cents": 10_000,
    "coverage_pct": {"diagnostic": 100, "xray": 100, "preventive": 100, "restorative": 80, "endodontics": 80,
                     "periodontics": 80, "oral_surgery": 80, "crowns": 50, "implants": 50, "orthodontics": 50,
                     "adjunctive": 50},
    "allowed_fees": {"D2740": 95_000, "D2750": 98_000, "D3330": 105_000, "D2150": 15_000, "D1110": 9_000},
    "copays": {"D9110": 2_500}, "alternate_benefits": {"D2392": "D2150"}, "code_maximums": {"D6010": 80_000},
    "waiting_periods": {"crowns": 12, "implants": 12}, "age_limits": [{"codes": ["D1206", "D1351"], "max_age": 18}],
    "frequency_limits": [
        {"codes": ["D1110", "D1120"], "count": 2, "period": "benefit_year"},
        {"codes": ["D0272", "D0274"], "count": 1, "period": "benefit_year"},
        {"codes": ["D0120", "D0150"], "count": 2, "period": "calendar_year"},
        {"category": "crowns", "count": 1, "period": "months", "months": 60, "per_tooth": True},
        {"codes": ["D4341", "D4342"], "count": 1, "period": "months", "months": 24, "per_tooth": True},
    ],
}
SECONDARY = {**PRIMARY, "rank": 2, "carrier": "Bench Secondary", "member_id": "B-2", "cob_method": "carve_out",
             "renewal_month": 7, "annual_max_cents": 100_000, "copays": {}, "waiting_periods": {}}


def scenario() -> tuple[list[LineInput], list[Coverage], Patient]:
    lines = [LineInput(code, 10_000 + 5_000 * i, TEETH[i % len(TEETH)], f"stp_{i:02d}",
                       TODAY + timedelta(days=30 * (i % 4)) if i % 3 else None)
             for i, code in enumerate(PLAN_CODES)]
    history = [HistoryItem(HISTORY_CODES[i % len(HISTORY_CODES)], TODAY - timedelta(days=45 * i), TEETH[i % 5])
               for i in range(50)]
    claims = [UsageEntry(rank=1, service_date=date(2026, 6, 1), status=UsageStatus.PAID, insurance_cents=20_000,
                         deductible_cents=5_000)]
    coverages = [Coverage.from_dict(PRIMARY), Coverage.from_dict(SECONDARY)]
    return lines, coverages, Patient(date(1985, 5, 5), history, claims)


def pure_cpu(runs: int) -> tuple[Latency, Estimate]:
    lines, coverages, patient = scenario()
    result = estimate(lines, coverages, today=TODAY, patient=patient)  # warm-up: imports, caches
    samples = []
    for _ in range(runs):
        started = time.thread_time()
        estimate(lines, coverages, today=TODAY, patient=patient)
        samples.append(time.thread_time() - started)
    return Latency.of_seconds(samples), result


def route_scenario(api, calls: int) -> list[Phase]:
    lines, _, patient = scenario()
    setup = Phase("setup")
    location = api.call(setup, "POST", "/locations", {"name": "Bench", "timezone": "America/Chicago",
                                                      "phone": "+13125550100"}, expect=201)
    person = api.call(setup, "POST", "/patients", {"location_id": location["id"], "first_name": "Bench",
                                                   "last_name": "Patient", "date_of_birth": "1985-05-05"}, expect=201)
    for rank, body in ((1, PRIMARY), (2, SECONDARY)):
        api.call(setup, "PUT", f"/patients/{person['id']}/coverages/{rank}", {**body, "usage_as_of": None})
    history = [{**_procedure(item.code, item.tooth), "date": item.date.isoformat()} for item in patient.history]
    api.call(setup, "POST", f"/patients/{person['id']}/history", {"items": history}, expect=201)
    phases = [{"name": f"Phase {i // 5 + 1}", "steps": [
        {"procedures": [{**_procedure(line.code, line.tooth), "fee_cents": line.fee_cents}]} for line in lines[i:i + 5]
    ]} for i in range(0, len(lines), 5)]
    plan = api.call(setup, "POST", "/plans", {"patient_id": person["id"], "phases": phases}, expect=201)
    get_estimate = Phase("GET /plans/{id}/estimate")
    for _ in range(calls):
        body = api.call(get_estimate, "GET", f"/plans/{plan['id']}/estimate")
        if len(body["lines"]) != len(lines) or len(body["totals"]["by_coverage"]) != 2:
            raise RuntimeError("the estimate did not price every line under both coverages")
    return [get_estimate]


def _procedure(code: str, tooth: str | None) -> dict[str, str]:
    """The code with a tooth and surfaces only where the catalog takes them (as many surfaces as it needs)."""
    from shared.domain import catalog

    entry = catalog.lookup(code)
    if entry is None or entry.tooth.value == "not_applicable":
        return {"code": code}
    return {"code": code, "tooth": tooth or "3", **({"surfaces": "MODB"[:entry.surfaces.minimum]}
                                                     if entry.surfaces.minimum else {})}


def report(runs: int, calls: int, endpoint: str | None) -> str:
    latency, result = pure_cpu(runs)
    totals = result.totals
    pure = "\n".join([
        heading("Benefits engine: the pure estimate"), machine_line(),
        f"{len(result.lines)} procedures, {len(totals.by_coverage)} coverages, 50 history items, {runs} runs "
        f"(limits that bit: {', '.join(totals.limits)})",
        f"CPU per estimate: p50 {latency.p50:.2f} ms  p95 {latency.p95:.2f} ms  max {latency.max:.2f} ms "
        f"(target p50 <= 5 ms)",
        f"result: fee {totals.fee_cents}  insurance {totals.insurance_cents}  patient {totals.patient_cents}  "
        f"write-off {totals.writeoff_cents} (cents)",
    ])
    if calls == 0:
        return pure
    started = time.perf_counter()
    with api_session(endpoint) as (api, where):
        phases = route_scenario(api, calls)
    routed = phase_report("Benefits engine: GET /plans/{id}/estimate", where,
                          [f"{calls} calls; the plan's 20 procedures, 2 coverages and 50 history items as above"],
                          phases, time.perf_counter() - started)
    return f"{pure}\n{routed}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"estimates to time (default {DEFAULT_RUNS})")
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS,
                        help=f"GET /plans/{{id}}/estimate calls (default {DEFAULT_CALLS}; 0: the pure estimate only)")
    parser.add_argument("--endpoint", default=None, help="a running DynamoDB endpoint instead of DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    if args.runs < 1 or args.calls < 0:
        raise SystemExit("--runs must be at least 1 and --calls at least 0")
    print(report(args.runs, args.calls, args.endpoint), flush=True)
