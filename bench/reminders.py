"""Reminder engine at group scale: nightly planning and sending, DynamoDB requests per due appointment.

A group of locations (five time zones) with a book of appointments spread over the next 90 local days;
those in the planner's window (today to today + 8, local) are due. The nightly planner runs (fan-out
inline, one location job after the other, as `chairside job nightly` does), then runs again (what a
retried delivery or a second worker costs), then the sender runs at every minute in which something
falls due over the window, sending through SES v2 and SNS on moto (in-process). The same again with
10x more appointments stored outside the window (half in the past year, half beyond 90 days), which
should change nothing per due appointment: the planner reads a location's appointments with one range
query over local dates, and the sender reads only the send queue's due hour buckets.

DynamoDB is DynamoDB Local (in memory, started here) or --endpoint. Seeding writes appointments and
patients straight to the table with BatchWriteItem (the API's booking path would plan their reminders at
once, which is what is measured here). Locations are made through the service (it writes the registry).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

from bench import summary
from bench.common import DynamoDBCounter, dynamodb_endpoint, heading, machine_line, prepare_in_process

NIGHT = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)  # Monday, 03:00 in New York, 08:00 in London
BOOK_DAYS = 90
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London")
SLOTS = 18  # half-hour starts from 08:00 to 16:30 local
SENDER_EMAIL = "reminders@bench.example"


@dataclass(frozen=True)
class Sizes:
    locations: int
    appointments: int  # in the 90-day book
    outside_factor: int  # times as many more, stored outside the window


DEFAULT = Sizes(locations=10, appointments=2_000, outside_factor=10)
FULL = Sizes(locations=200, appointments=50_000, outside_factor=10)


@dataclass
class Measure:
    seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    ddb_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


@dataclass
class Outcome:
    label: str
    stored: int
    due: int
    plan: Measure
    replan: Measure
    send: Measure
    rows_planned: int
    sent: int
    send_runs: int
    seed_seconds: float


def _measure(counter: DynamoDBCounter, work: Any) -> tuple[Any, Measure]:
    counter.take()
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    calls, ddb_seconds = counter.take()
    return result, Measure(elapsed, calls, ddb_seconds)


def _seed(org: str, sizes: Sizes, outside: bool) -> tuple[list[dict[str, Any]], int, int]:
    """Locations (through the service), then patients and appointments written in batches. The book is
    the same in both scenarios (its own random sequence); the appointments outside come on top."""
    from shared.auth import Principal
    from shared.clock import iso, local_date
    from shared.commands.locations import LocationCreate
    from shared.domain.appointment_lifecycle import AppointmentStatus
    from shared.domain.appointments import Appointment
    from shared.domain.codec import from_json
    from shared.domain.patients import Patient
    from shared.domain.quiet_hours import utc_at_local
    from shared.ids import new_id
    from shared.services import locations
    from shared.store import appointments as appointment_store
    from shared.store import patients as patient_store
    from shared.store.table import Record

    principal = Principal(sub="bench", org=org, role="admin", locations=("*",))
    made = [locations.create(principal, LocationCreate.model_validate({
        "name": f"Bench Dental {i}", "timezone": ZONES[i % len(ZONES)], "phone": f"+1555{i:07d}",
        "languages": ["en", "es"]})) for i in range(sizes.locations)]
    consent = {"email": {"appointment": True}, "sms": {"appointment": True}}
    book, extra = random.Random(5), random.Random(7)
    due = 0
    stored = 0
    with Record.batch_write() as batch:
        for i in range(sizes.appointments):
            location = made[i % len(made)]
            tz = location.timezone
            patient_id = new_id("pat")
            batch.save(patient_store.profile_record(org, from_json(Patient, {
                "id": patient_id, "location_id": location.id, "first_name": "Pat", "last_name": f"Bench{i}",
                "date_of_birth": "1980-01-01", "phone": f"+1556{i:07d}", "email": f"p{i}@bench.example",
                "language": ("en", "es")[i % 2], "consent": consent, "created_at": iso(NIGHT - timedelta(days=30)),
                "updated_at": iso(NIGHT - timedelta(days=30))})))
            today = local_date(NIGHT, tz)
            offsets = [(book.randrange(BOOK_DAYS), book.randrange(SLOTS))]
            if outside:
                offsets += [(-extra.randrange(1, 366) if k % 2 else BOOK_DAYS + extra.randrange(365),
                             extra.randrange(SLOTS)) for k in range(sizes.outside_factor)]
            for offset, slot in offsets:
                day: date = today + timedelta(days=offset)
                start = utc_at_local(day, wall_time(8 + slot // 2, 30 * (slot % 2)), tz)
                status = AppointmentStatus.COMPLETED if start < NIGHT else AppointmentStatus.SCHEDULED
                batch.save(appointment_store.item(org, Appointment(
                    id=new_id("apt"), patient_id=patient_id, location_id=location.id, timezone=tz, start=start,
                    duration_minutes=30, status=status, created_at=NIGHT - timedelta(days=30),
                    updated_at=NIGHT - timedelta(days=30), version=1)))
                stored += 1
                if 0 <= offset <= 8 and start > NIGHT:
                    due += 1
    return made, due, stored


def _due_minutes(org: str, made: list[dict[str, Any]]) -> list[datetime]:
    """Every minute in which a planned row falls due over the window (read before the send phase)."""
    from shared.clock import local_date
    from shared.store import outbox as outbox_store

    minutes = set()
    for location in made:
        first = local_date(NIGHT, location.timezone)
        for row in outbox_store.for_location_days(org, location.id, first.isoformat(),
                                                  (first + timedelta(days=9)).isoformat()):
            if row.status == "planned":
                minutes.add(row.due_at.replace(second=30, microsecond=0))
    return sorted(minutes)


def scenario(label: str, sizes: Sizes, outside: bool, url: str, counter: DynamoDBCounter) -> Outcome:
    from functions import jobs
    from shared.adapters.notifier import AwsNotifier
    from shared.clock import frozen_at
    from shared.services import sender
    from shared.store import table

    org = f"org_bench{uuid.uuid4().hex[:8]}"
    table.bind(table_name=f"chairside-bench-{uuid.uuid4().hex[:8]}", host=url)
    table.ensure_table()
    try:
        started = time.perf_counter()
        with frozen_at(NIGHT - timedelta(days=1)):
            made, due, stored = _seed(org, sizes, outside)
        seed_seconds = time.perf_counter() - started
        with frozen_at(NIGHT):
            planned, plan = _measure(counter, lambda: jobs.nightly_planner({}))
            _, replan = _measure(counter, lambda: jobs.nightly_planner({}))
        counter.take()
        minutes = _due_minutes(org, made)
        notifier = AwsNotifier(sender_email=SENDER_EMAIL)
        notifier._client("sesv2").create_email_identity(EmailIdentity=SENDER_EMAIL)

        def send_all() -> int:
            sent = 0
            for minute in minutes:
                with frozen_at(minute):
                    sent += sender.run(minute, notifier).sent
            return sent

        sent, send = _measure(counter, send_all)
    finally:
        table.Record.delete_table()
        table.bind()
    return Outcome(label, stored, due, plan, replan, send, planned.get("planned", 0) + planned.get("suppressed", 0),
                   sent, len(minutes), seed_seconds)


IDLE_GROUPS = (1, 100, 1_000)


def idle_runs(url: str, counter: DynamoDBCounter) -> list[tuple[int, Measure]]:
    """A sender run with nothing due, with 1, 100 and 1,000 groups that each have a row planned for
    tomorrow: its requests must not grow with the groups (it reads no registry and no per-group key)."""
    from shared.adapters.notifier import AwsNotifier
    from shared.clock import frozen_at
    from shared.domain.messages import Message
    from shared.domain.outbox_lifecycle import MessageStatus
    from shared.domain.reminders import Channel, Purpose
    from shared.ids import new_id
    from shared.services import sender
    from shared.store import outbox as outbox_store
    from shared.store import table

    measured = []
    table.bind(table_name=f"chairside-bench-{uuid.uuid4().hex[:8]}", host=url)
    table.ensure_table()
    try:
        made = 0
        for groups in IDLE_GROUPS:
            with table.Record.batch_write() as batch:
                for _ in range(groups - made):
                    org, location_id = f"org_idle{uuid.uuid4().hex[:10]}", new_id("loc")
                    due = NIGHT + timedelta(days=1)
                    batch.save(outbox_store.item(org, Message(
                        id=new_id("msg"), patient_id=new_id("pat"), location_id=location_id, kind="reminder_2d",
                        channel=Channel.EMAIL, purpose=Purpose.APPOINTMENT, send_at=due, due_at=due,
                        status=MessageStatus.PLANNED, created_at=NIGHT, updated_at=NIGHT, version=1,
                        local_send_date=date(2026, 5, 5))))
            made = groups
            counter.take()
            with frozen_at(NIGHT):
                _, idle = _measure(counter, lambda: sender.run(NIGHT, AwsNotifier(sender_email=SENDER_EMAIL)))
            measured.append((groups, idle))
    finally:
        table.Record.delete_table()
        table.bind()
    for groups, idle in measured:
        summary.record(f"idle send run: requests, {groups:,} group{'s' if groups > 1 else ''}", idle.requests)
    return measured


def _per(measure: Measure, n: int) -> str:
    parts = ", ".join(f"{name} {count / n:.2f}" for name, count in sorted(measure.calls.items()))
    return f"{measure.requests / n:.2f} ({parts})"


def report(sizes: Sizes, full: bool, endpoint: str | None) -> str:
    keys_dir = Path(tempfile.mkdtemp(prefix="chairside-bench-keys-"))
    prepare_in_process(keys_dir)
    os.environ.pop("CHAIRSIDE_LOCATION_JOBS_QUEUE_URL", None)  # fan out inline, as `chairside job nightly`
    from moto import mock_aws

    from bench.common import quiet_request_logs

    quiet_request_logs()
    outcomes = []
    with dynamodb_endpoint(endpoint) as (url, where), mock_aws(), DynamoDBCounter() as counter:
        for label, outside in (("window only", False), (f"+{sizes.outside_factor}x outside", True)):
            outcomes.append(scenario(label, sizes, outside, url, counter))
        idle = idle_runs(url, counter)
    which = "full size (--full)" if full else "default size (--full for 200 locations and 50,000 appointments)"
    lines = [
        heading("Reminder engine: nightly planning and sending"),
        machine_line(),
        f"{where}; SES v2 and SNS on moto in-process",
        f"{which}: {sizes.locations} locations in {len(ZONES)} time zones, {sizes.appointments:,} appointments "
        f"over the next {BOOK_DAYS} days, one patient each (email + SMS consent)",
        "",
    ]
    for o in outcomes:
        lines += [
            f"{o.label}: {o.stored:,} appointments stored, {o.due:,} due in the window "
            f"(seeded in {o.seed_seconds:.1f} s)",
            f"  plan    {o.plan.seconds:6.1f} s  {o.rows_planned:,} rows  "
            f"requests/due appointment {_per(o.plan, o.due)}",
            f"  re-plan {o.replan.seconds:6.1f} s  requests/due appointment {_per(o.replan, o.due)}",
            f"  send    {o.send.seconds:6.1f} s  {o.sent:,} sent in {o.send_runs} sender runs  "
            f"requests/sent message {o.send.requests / max(o.sent, 1):.2f}  "
            f"requests/due appointment {_per(o.send, o.due)}",
            f"  in DynamoDB: plan {o.plan.ddb_seconds / o.plan.seconds * 100:.0f}%, "
            f"send {o.send.ddb_seconds / max(o.send.seconds, 1e-9) * 100:.0f}% of the time",
            "",
        ]
    base, more = outcomes
    ratio = (more.plan.requests / more.due) / (base.plan.requests / base.due)
    send_ratio = (more.send.requests / max(more.due, 1)) / (base.send.requests / max(base.due, 1))
    lines.append(f"with {more.stored / base.stored:.0f}x the appointments stored, planning requests per due "
                 f"appointment changed x{ratio:.2f} and sending requests x{send_ratio:.2f}")
    lines.append("Idle sender run (nothing due; every group has a row planned for tomorrow):")
    lines += [f"  {groups:>5,} group{'s' if groups > 1 else ' '}: {m.requests} requests "
              f"({', '.join(f'{k} {v}' for k, v in sorted(m.calls.items())) or 'none'}), {m.seconds * 1000:.0f} ms"
              for groups, m in idle]
    base_plan = outcomes[0]
    summary.record("plan: requests per due appointment", base_plan.plan.requests / base_plan.due)
    summary.record("send: requests per sent message", base_plan.send.requests / max(base_plan.sent, 1))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true",
                        help=f"{FULL.locations} locations and {FULL.appointments:,} appointments "
                             f"(default {DEFAULT.locations} and {DEFAULT.appointments:,})")
    parser.add_argument("--locations", type=int, default=None, help="override the number of locations")
    parser.add_argument("--appointments", type=int, default=None, help="override the appointments in the book")
    parser.add_argument("--outside-factor", type=int, default=None,
                        help=f"appointments stored outside the window, as a multiple (default "
                             f"{DEFAULT.outside_factor})")
    parser.add_argument("--endpoint", default=None,
                        help="a running DynamoDB endpoint to use instead of starting DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    base = FULL if args.full else DEFAULT
    sizes = Sizes(args.locations or base.locations, args.appointments or base.appointments,
                  args.outside_factor or base.outside_factor)
    if sizes.locations < 1 or sizes.appointments < sizes.locations or sizes.outside_factor < 1:
        raise SystemExit("need at least 1 location, as many appointments as locations, and a factor >= 1")
    print(report(sizes, args.full, args.endpoint), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench reminders", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
