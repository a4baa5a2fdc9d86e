"""location_worker plans for the instant the nightly planner ran for (`as_of` in the message): a job
replayed from the dead-letter queue a day later plans that night, not the day it is replayed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from functions import jobs
from shared.clock import frozen_at

NIGHT = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
REPLAYED = datetime(2026, 3, 3, 15, 30, tzinfo=UTC)


def _run(monkeypatch, bodies: list[dict | str]) -> tuple[dict, list[tuple[str, str, datetime]]]:
    planned: list[tuple[str, str, datetime]] = []

    def record(org: str, location_id: str, now: datetime) -> dict[str, int]:
        planned.append((org, location_id, now))
        return {"appointments": 0}

    monkeypatch.setattr(jobs.planner, "run_location_job", record)
    records = [{"messageId": f"m{i}", "body": body if isinstance(body, str) else json.dumps(body)}
               for i, body in enumerate(bodies)]
    with frozen_at(REPLAYED):
        return jobs.location_worker(records), planned


def test_a_replayed_job_plans_the_night_it_was_sent_for(monkeypatch):
    answer, planned = _run(monkeypatch, [{"org": "grp_a", "location_id": "loc_1", "as_of": "2026-03-02T07:00:00Z"}])
    assert answer == {"batchItemFailures": []}
    assert planned == [("grp_a", "loc_1", NIGHT)]


def test_a_job_without_as_of_plans_now_and_a_naive_one_fails_alone(monkeypatch):
    answer, planned = _run(monkeypatch, [
        {"org": "grp_a", "location_id": "loc_1"},
        {"org": "grp_a", "location_id": "loc_2", "as_of": "2026-03-02T07:00:00"},
        {"org": "grp_a", "location_id": "loc_3", "as_of": "yesterday"},
    ])
    assert planned == [("grp_a", "loc_1", REPLAYED)]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
