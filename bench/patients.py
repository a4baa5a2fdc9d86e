"""Patient routes end to end: create, get, list in pages and search, with DynamoDB requests per call.

Calls go through Chalice's in-process test client behind the local gateway (routing, the token check
API Gateway's authorizer makes in AWS, our HTTP layer, validation, the pynamodb store, the audit event;
GET /patients/{id} also straight into the Lambda handler, as in AWS), against a fresh in-memory DynamoDB Local that the
benchmark starts and stops, or an endpoint given with --endpoint (a table of its own, deleted after).
Request logs are still formatted, as in production, but written to /dev/null to keep the output
readable. Latencies are wall-clock per call as the client sees it; "in ddb" is the share of that time
spent inside pynamodb's calls to botocore (serialising, signing, the HTTP round trip to DynamoDB and
its work, parsing the answer): the rest is our code, pydantic, the token check and Chalice.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bench import summary
from bench.common import (
    Api,
    Latency,
    Phase,
    api_session,
    captured_get_item_keys,
    heading,
    machine_line,
    raw_get_item_seconds,
)

DEFAULT_PATIENTS = 200
DEFAULT_PAGE_SIZE = 50
DEFAULT_LIST_PASSES = 5

# 20 x 10 names: each last name is shared by one patient in 20, so a search by last name finds a handful.
LAST_NAMES = (
    "Núñez", "García", "Smith", "Nguyen", "O'Brien", "Müller", "Kowalski", "Patel", "Johnson", "Rossi",
    "Dubois", "Kim", "Silva", "Cohen", "Okafor", "Larsen", "Moreau", "Tanaka", "Ivanova", "Haddad",
)
FIRST_NAMES = ("Ana", "José", "Mary", "Linh", "Sean", "Jürgen", "Zofia", "Priya", "Tom", "Giulia")


def location_body() -> dict:
    return {"name": "Benchmark Dental", "timezone": "America/New_York", "phone": "+15551230000",
            "email": "front@bench.example", "languages": ["en", "es"]}


def patient_body(location_id: str, i: int) -> dict:
    last, first = LAST_NAMES[i % len(LAST_NAMES)], FIRST_NAMES[(i // len(LAST_NAMES)) % len(FIRST_NAMES)]
    return {"location_id": location_id, "first_name": first, "last_name": last,
            "date_of_birth": f"{1950 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "phone": f"+1555{i:07d}", "email": f"patient{i}@bench.example", "language": ("en", "es")[i % 2],
            "consent": {"sms": {"appointment": True}, "email": {"appointment": True, "billing": i % 3 == 0}}}


def list_all(api: Api, phase: Phase, location_id: str, page_size: int,
             q: str | None = None) -> list[list[dict]]:
    """Every page of the location's patients (matching q), following next_cursor."""
    pages: list[list[dict]] = []
    cursor = None
    while True:
        params = {"location_id": location_id, "limit": str(page_size)}
        if q:
            params["q"] = q
        if cursor:
            params["cursor"] = cursor
        page = api.call(phase, "GET", f"/patients?{urlencode(params)}")
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return pages


@dataclass
class Outcome:
    phases: list[Phase]
    page_sizes: list[int]  # items on each page of one pass through the list


def scenario(api: Api, patients: int, page_size: int, list_passes: int) -> Outcome:
    first = Phase("first call (POST /locations)")
    location_id = api.call(first, "POST", "/locations", location_body(), expect=201)["id"]

    create, get = Phase("create patient"), Phase("get patient (local stack)")
    ids = [api.call(create, "POST", "/patients", patient_body(location_id, i), expect=201)["id"]
           for i in range(patients)]
    handler, raw = Phase("get patient (Lambda handler)"), Phase("raw GetItem (same items)")
    for patient_id in ids:  # the three reads of one item one after the other: the same load for each
        with captured_get_item_keys() as keys:
            api.call(get, "GET", f"/patients/{patient_id}")
        api.invoke(handler, "/patients/{patient_id}", {"patient_id": patient_id})
        raw.seconds += raw_get_item_seconds(keys)
    raw.ddb_calls["GetItem"] = len(raw.seconds)
    raw.ddb_seconds = sum(raw.seconds)
    p50 = Latency.of_seconds
    summary.record("GET /patients/{id} p50 / raw GetItem p50", p50(handler.seconds).p50 / p50(raw.seconds).p50)
    summary.record("GET /patients/{id} p50 / raw GetItem p50, local stack",
                   p50(get.seconds).p50 / p50(raw.seconds).p50)
    summary.record("GET /patients/{id} DynamoDB requests", sum(handler.ddb_calls.values()) / len(ids))

    listing = Phase(f"list page ({page_size})")
    pages: list[list[dict]] = []
    for _ in range(list_passes):
        pages = list_all(api, listing, location_id, page_size)
        listed = [patient for page in pages for patient in page]
        if sorted(p["id"] for p in listed) != sorted(ids):
            raise RuntimeError(f"listing found {len(listed)} patients, not the {len(ids)} created")

    search = Phase("search page (q=last name)")
    for last_name in LAST_NAMES:
        found = [patient for page in list_all(api, search, location_id, page_size, q=last_name)
                 for patient in page]
        expected = sum(1 for i in range(patients) if LAST_NAMES[i % len(LAST_NAMES)] == last_name)
        if len(found) != expected:
            raise RuntimeError(f"search for {last_name!r} found {len(found)} patients, not {expected}")
    return Outcome([first, create, get, handler, raw, listing, search], [len(page) for page in pages])


def report(patients: int, page_size: int, list_passes: int, endpoint: str | None) -> str:
    started = time.perf_counter()
    with api_session(endpoint) as (api, where):
        outcome = scenario(api, patients, page_size, list_passes)
    elapsed = time.perf_counter() - started

    width = max(len(p.name) for p in outcome.phases)
    return "\n".join([
        heading("Patient routes through the in-process Chalice client"),
        machine_line(),
        where,
        f"{patients} patients in one location; list in pages of {page_size}, "
        f"{list_passes} pass{'es' if list_passes != 1 else ''}; "
        f"search by each of {len(LAST_NAMES)} last names",
        f"one pass through the list = {len(outcome.page_sizes)} page(s) of "
        f"{', '.join(str(n) for n in outcome.page_sizes)} patients",
        "The first call's DynamoDB time includes creating the botocore client. 'local stack' is Chalice's",
        "test client behind infra/local_gateway.py (which verifies the token, as API Gateway's Cognito",
        "authorizer does in AWS); 'Lambda handler' calls app.app with the proxy event API Gateway delivers",
        "after its authorizer (the claims in requestContext.authorizer): what the function runs in AWS.",
        "Each item is read the three ways one after the other (the same load for each).",
        "",
        *(p.line(width) for p in outcome.phases),
        "",
        f"(scenario took {elapsed:.1f} s, starting DynamoDB Local included)" if endpoint is None
        else f"(scenario took {elapsed:.1f} s)",
    ])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS,
                        help=f"patients to create (default {DEFAULT_PATIENTS})")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE,
                        help=f"limit of each list page (default {DEFAULT_PAGE_SIZE}, at most 100)")
    parser.add_argument("--list-passes", type=int, default=DEFAULT_LIST_PASSES,
                        help=f"times the whole list is paged through (default {DEFAULT_LIST_PASSES})")
    parser.add_argument("--endpoint", default=None,
                        help="a running DynamoDB endpoint to use instead of starting DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    if args.patients < 1 or args.list_passes < 1 or not 1 <= args.page_size <= 100:
        raise SystemExit("--patients and --list-passes must be at least 1, --page-size between 1 and 100")
    print(report(args.patients, args.page_size, args.list_passes, args.endpoint), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench patients", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
