"""Persistence of the outbox: one item per message, with a deterministic id, and the contact directory.

Message rows (`kind` "message"): pk `{org}#MSG#{message_id}`, sk `MESSAGE`, and three indexes:

- gsi1, the send queue, sparse: only rows waiting to be sent (planned, or sending under a lease) carry
  it. pk `{org}#OUTBOX#{yyyy-mm-ddThh}` (the UTC hour of `due_at`), sk `{due_at}#{id}`. The sender
  queries the last few hour buckets up to now, so its work follows what is due, and the planner's
  writes spread over many partitions instead of one per group.
- gsi2, a patient's messages by send time: `{org}#PAT#{patient_id}#MSGS` / `{send_at}#{id}` (SMS caps,
  `GET /messages?patient_id=`, suppressing a patient's planned rows after STOP or a bounce).
- gsi3, a location's messages by local day: `{org}#LOC#{location_id}#MSGS` / `{local date}#{send_at}#{id}`.

Directory items map an address we sent to back to the patients who have it, for inbound SMS and SES
feedback, which name an address but no group: pk `SYSTEM#CONTACT#{sha256 of channel and address}`,
sk `{org}#{patient_id}`. The address itself is hashed: no phone number or email sits in a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.clock import iso
from shared.domain import outbox_lifecycle
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork

MESSAGE = "MESSAGE"
WAITING_STATUSES = tuple(map(str, outbox_lifecycle.WAITING))  # rows in the send queue (gsi1)
REPLANNABLE_STATUSES = tuple(map(str, outbox_lifecycle.REPLANNABLE))  # rows a re-plan may overwrite
BATCH_GET_LIMIT = 100


def pk(org: str, message_id: str) -> str:
    return f"{org}#MSG#{message_id}"


def send_queue(org: str, hour: datetime) -> str:
    return f"{org}#OUTBOX#{hour:%Y-%m-%dT%H}"


def by_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#MSGS"


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#MSGS"


def to_record(org: str, doc: dict[str, Any], version: int, local_date: str) -> Record:
    """The item of a message document; `local_date` is the location's date of `send_at`."""
    record = Record(pk=pk(org, doc["id"]), sk=MESSAGE, kind="message", doc=doc, version=version,
                    gsi2pk=by_patient(org, doc["patient_id"]), gsi2sk=f"{doc['send_at']}#{doc['id']}",
                    gsi3pk=by_location(org, doc["location_id"]),
                    gsi3sk=f"{local_date}#{doc['send_at']}#{doc['id']}")
    if doc["status"] in WAITING_STATUSES:
        due = datetime.fromisoformat(doc["due_at"].replace("Z", "+00:00"))
        record.gsi1pk, record.gsi1sk = send_queue(org, due), f"{doc['due_at']}#{doc['id']}"
    return record


def local_date_of(record: Record) -> str:
    return (record.gsi3sk or "").split("#", 1)[0]


def get(org: str, message_id: str, consistent: bool = False) -> Record | None:
    if not has_prefix(message_id, "msg"):
        return None
    return records.get(pk(org, message_id), MESSAGE, consistent=consistent)


def get_many(org: str, message_ids: Iterable[str]) -> dict[str, Record]:
    """Rows by id (BatchGetItem, 100 keys a request); ids without a row are absent from the result."""
    keys = [(pk(org, message_id), MESSAGE) for message_id in dict.fromkeys(message_ids)]
    found: dict[str, Record] = {}
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        for record in Record.batch_get(keys[start:start + BATCH_GET_LIMIT]):
            found[record.data()["id"]] = record
    return found


def _replannable() -> Any:
    return Record.pk.does_not_exist() | Record.doc["status"].is_in(*REPLANNABLE_STATUSES)


def add_if_replannable(uow: UnitOfWork, record: Record, on_fail: Failure) -> None:
    """The same write as `put_if_replannable`, committed with the rest of a unit of work (a booking and its
    reminders): `on_fail` when a sender has taken the row meanwhile."""
    uow.put(record, _replannable(), on_fail)


def put_if_replannable(record: Record) -> bool:
    """Write a planned row unless a sender has taken it (sending, sent, failed); False when it had."""
    try:
        record.save(condition=_replannable())
    except PutError as exc:
        if records.is_conditional_failure(exc):
            return False
        raise
    return True


def replace_if_unchanged(record: Record, expected_version: int) -> bool:
    """Write a new state of a row read at `expected_version`; False when someone changed it meanwhile."""
    record.version = expected_version + 1
    try:
        record.save(condition=Record.version == expected_version)
    except Exception as exc:
        record.version = expected_version  # as read, so that a retry of the same write means the same
        if isinstance(exc, PutError) and records.is_conditional_failure(exc):
            return False
        raise
    return True


def _query_all(source: Any, hash_key: str, condition: Any, newest_first: bool = False) -> Iterator[Record]:
    yield from source.query(hash_key, range_key_condition=condition, scan_index_forward=not newest_first,
                            page_size=200)


def due_rows(org: str, now: datetime, lookback_hours: int) -> Iterator[Record]:
    """Rows waiting in the send queue with `due_at` up to `now`, from the last `lookback_hours` hours."""
    upper = f"{iso(now)}#~"
    hour = now.replace(minute=0, second=0, microsecond=0)
    for back in range(lookback_hours, -1, -1):
        yield from _query_all(Record.gsi1, send_queue(org, hour - timedelta(hours=back)), Record.gsi1sk <= upper)


def for_patient_between(org: str, patient_id: str, first: datetime, last: datetime) -> list[Record]:
    """A patient's rows with `send_at` in [first, last]."""
    condition = Record.gsi2sk.between(iso(first), f"{iso(last)}#~")
    return list(_query_all(Record.gsi2, by_patient(org, patient_id), condition))


def page_for_patient(org: str, patient_id: str, limit: int, start_key: dict | None) -> records.Page:
    return records.query(by_patient(org, patient_id), index="gsi2", limit=limit, start_key=start_key,
                         newest_first=True)


def page_for_location_day(org: str, location_id: str, local_date: str, limit: int,
                          start_key: dict | None) -> records.Page:
    return records.query(by_location(org, location_id), index="gsi3", sk_prefix=f"{local_date}#", limit=limit,
                         start_key=start_key)


def for_location_days(org: str, location_id: str, first_date: str, last_date: str) -> Iterator[Record]:
    """A location's rows whose local send date lies in [first_date, last_date] (YYYY-MM-DD)."""
    condition = Record.gsi3sk.between(f"{first_date}#", f"{last_date}#~")
    yield from _query_all(Record.gsi3, by_location(org, location_id), condition)


# --- contact directory ------------------------------------------------------------------------------


def directory_pk(channel: str, address: str) -> str:
    normalized = address.strip().lower() if channel == "email" else address.strip()
    digest = hashlib.sha256(f"{channel}:{normalized}".encode()).hexdigest()[:40]
    return f"SYSTEM#CONTACT#{digest}"


def remember_contact(channel: str, address: str, org: str, patient_id: str, location_id: str, at: str) -> None:
    """Record that `address` belongs to this patient (idempotent; the latest send wins `last_sent_at`)."""
    Record(pk=directory_pk(channel, address), sk=f"{org}#{patient_id}", kind="contact",
           doc={"org": org, "patient_id": patient_id, "location_id": location_id, "channel": channel,
                "last_sent_at": at}).save()


def contacts(channel: str, address: str) -> list[dict[str, Any]]:
    """Who we have sent to at `address`: [{org, patient_id, location_id, ...}], most recently sent first."""
    found = [record.data() for record in _query_all(Record, directory_pk(channel, address), None)]
    return sorted(found, key=lambda doc: doc.get("last_sent_at", ""), reverse=True)
