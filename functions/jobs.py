"""Bodies of the scheduled, SQS and SNS handlers that app.py registers: parse the event, call one
service, report. (They live in app.py itself only as a few lines each: Chalice gives event handlers
defined elsewhere their own handler strings and skips app.py's middleware.)

Fan-out: in AWS the nightly planner sends one SQS message per location to the `location-jobs` queue
(its URL in CHAIRSIDE_LOCATION_JOBS_QUEUE_URL, which the template sets) and LocationWorker plans each.
Where that variable is absent (`chairside run`, `chairside job nightly`, tests), or when
CHAIRSIDE_LOCAL_FANOUT=inline, the planner runs every location's job itself, one after the other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from shared import clock
from shared.adapters import notifier
from shared.clock import iso
from shared.logs import logger
from shared.services import inbound, planner, sender

QUEUE_URL_ENV = "CHAIRSIDE_LOCATION_JOBS_QUEUE_URL"
FANOUT_ENV = "CHAIRSIDE_LOCAL_FANOUT"
SQS_BATCH = 10  # SendMessageBatch takes at most 10 entries


def _queue_url() -> str | None:
    if os.environ.get(FANOUT_ENV, "").lower() == "inline":
        return None
    return os.environ.get(QUEUE_URL_ENV) or None


def nightly_planner(event: Mapping[str, Any]) -> dict[str, Any]:
    """EventBridge, hourly: one job per location whose local time has reached 02:00 in this hour, through
    SQS (or inline, see above). An invocation that is not a scheduled event, or one whose detail says
    `all_locations` (`chairside job nightly`, the benchmarks), runs every location now."""
    now = clock.now()
    scheduled = event.get("detail-type") == "Scheduled Event"
    every = not scheduled or bool((event.get("detail") or {}).get("all_locations"))
    jobs = planner.location_jobs(None if every else now)
    queue_url = _queue_url()
    if queue_url:
        _enqueue(queue_url, [{**job, "as_of": iso(now)} for job in jobs])
        result: dict[str, Any] = {"locations": len(jobs), "fanout": "sqs"}
    else:
        totals: dict[str, int] = {}
        failed = 0
        for job in jobs:
            try:
                outcome = planner.run_location_job(job["org"], job["location_id"], now)
            except Exception:
                failed += 1
                logger.exception("location job failed", extra={"location_id": job["location_id"]})
                continue
            for name, value in outcome.items():
                totals[name] = totals.get(name, 0) + value
        result = {"locations": len(jobs), "fanout": "inline", "failed_locations": failed, **totals}
    logger.info("nightly planner", extra={"result": result})
    return result


def _enqueue(queue_url: str, jobs: list[dict[str, Any]]) -> None:
    import boto3

    sqs = boto3.client("sqs")
    for start in range(0, len(jobs), SQS_BATCH):
        batch = jobs[start:start + SQS_BATCH]
        entries = [{"Id": str(i), "MessageBody": json.dumps(job)} for i, job in enumerate(batch)]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} location jobs: {answer['Failed'][0]}")


def location_worker(sqs_records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """SQS: plan each location's outbox; report the jobs that failed so that only those are retried
    (partial batch response: the event source mapping has ReportBatchItemFailures)."""
    failures = []
    for record in sqs_records:
        try:
            job = json.loads(record["body"])
            outcome = planner.run_location_job(job["org"], job["location_id"], _as_of(job))
            logger.info("location job", extra={"location_id": job["location_id"], "outcome": outcome})
        except Exception:
            logger.exception("location job failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _as_of(job: Mapping[str, Any]) -> datetime:
    """The instant the planner ran for (a job replayed from the dead-letter queue plans that night, not
    today); now for a job without one. A naive or unreadable `as_of` fails the job, to be looked at."""
    if "as_of" not in job:
        return clock.now()
    as_of = datetime.fromisoformat(str(job["as_of"]).replace("Z", "+00:00"))
    if as_of.tzinfo is None:
        raise ValueError("as_of needs an offset")
    return as_of


def send_due_messages(event: Mapping[str, Any]) -> dict[str, Any]:
    """EventBridge, every minute: send the due outbox rows; failed sends are counted as a metric."""
    summary = sender.run(clock.now(), notifier.default()).as_dict()
    logger.info("sender", extra={"summary": summary})
    _count("MessagesSent", summary["sent"])
    _count("MessagesFailed", summary["failed"])
    return summary


def _count(name: str, value: int) -> None:
    """A CloudWatch metric in embedded metric format (a log line: no API call, no extra latency)."""
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics()
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()


def _sns_payloads(sns_records: Iterable[Mapping[str, Any]]) -> Iterable[dict[str, Any]]:
    for record in sns_records:
        message = record["Sns"]["Message"]
        yield json.loads(message) if isinstance(message, str) else dict(message)


def inbound_sms(sns_records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """SNS, two-way SMS: a patient's reply (keywords, confirmations, anything else: a callback task)."""
    outcomes = [inbound.handle_sms(payload, clock.now(), notifier.default()) for payload in _sns_payloads(sns_records)]
    logger.info("inbound SMS", extra={"outcomes": outcomes})
    return outcomes


def email_feedback(sns_records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """SNS, SES feedback: bounces and complaints suppress email to that address."""
    outcomes = [inbound.handle_ses_feedback(payload, clock.now()) for payload in _sns_payloads(sns_records)]
    logger.info("email feedback", extra={"outcomes": outcomes})
    return outcomes
