"""Plan routes end to end: create, get, estimate, present and accept, with DynamoDB requests per call.

Same harness as the patient benchmark (bench/common.py: the app in process, a fresh in-memory DynamoDB
Local or --endpoint). Each plan has the four procedures of the acceptance example, against a patient
with coverage, so every call prices procedures and runs the insurance estimate.
"""

from __future__ import annotations

import argparse
import time

from bench.common import Phase, api_session, phase_report

DEFAULT_PLANS = 100

COVERAGE = {"carrier": "Bench PPO", "member_id": "B-1", "renewal_month": 1, "annual_max_cents": 150000,
            "used_cents": 90000, "deductible_cents": 5000,
            "coverage_pct": {"diagnostic": 100, "preventive": 100, "endodontics": 80, "crowns": 50}}
PHASES = [{"name": "Diagnose and clean", "steps": [{"procedures": [{"code": "D0150"}, {"code": "D1110"}]}]},
          {"name": "Restore", "steps": [{"procedures": [{"code": "D3330", "tooth": "14"}]},
                                        {"procedures": [{"code": "D2740", "tooth": "3"}]}]}]


def scenario(api, plans: int) -> list[Phase]:
    setup = Phase("setup")
    location = api.call(setup, "POST", "/locations",
                        {"name": "Bench", "timezone": "America/Chicago", "phone": "+13125550100"}, expect=201)
    patient = api.call(setup, "POST", "/patients",
                       {"location_id": location["id"], "first_name": "Bench", "last_name": "Patient",
                        "date_of_birth": "1980-01-01"}, expect=201)
    api.call(setup, "PUT", f"/patients/{patient['id']}/coverage", COVERAGE)
    create, get, estimate = Phase("create plan"), Phase("get plan"), Phase("get estimate")
    present, accept = Phase("present plan"), Phase("accept plan")
    for _ in range(plans):
        plan = api.call(create, "POST", "/plans", {"patient_id": patient["id"], "phases": PHASES}, expect=201)
        api.call(get, "GET", f"/plans/{plan['id']}")
        totals = api.call(estimate, "GET", f"/plans/{plan['id']}/estimate")["totals"]
        if totals["insurance_cents"] != 60000:
            raise RuntimeError(f"estimate drifted: {totals}")
        presented = api.call(present, "POST", f"/plans/{plan['id']}/present", {})
        api.call(accept, "POST", f"/plans/{plan['id']}/accept",
                 {"signer_name": "Bench Patient", "version": presented["version"]})
    return [create, get, estimate, present, accept]


def report(plans: int, endpoint: str | None) -> str:
    started = time.perf_counter()
    with api_session(endpoint) as (api, where):
        phases = scenario(api, plans)
    elapsed = time.perf_counter() - started
    return phase_report("Plan routes through the in-process Chalice client", where,
                        [f"{plans} plans of 4 procedures (2 phases, 3 steps) for one insured patient"], phases, elapsed)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plans", type=int, default=DEFAULT_PLANS, help=f"plans to run (default {DEFAULT_PLANS})")
    parser.add_argument("--endpoint", default=None, help="a running DynamoDB endpoint instead of DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    if args.plans < 1:
        raise SystemExit("--plans must be at least 1")
    print(report(args.plans, args.endpoint), flush=True)
