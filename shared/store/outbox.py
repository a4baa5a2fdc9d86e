"""Persistence of the outbox: one item per message, with a deterministic id, and the contact directory.

Message rows (`kind` "message"): pk `{org}#MSG#{message_id}`, sk `MESSAGE`, and three indexes:

- gsi1, the send queue of every group, sparse: only rows waiting to be sent (planned, or sending under a
  lease) carry it. pk `SYSTEM#DUE#{yyyy-mm-ddThh}` (the 3-hour UTC bucket of `due_at`, hh = 00, 03, ...
  21: the key is sharded by time, not by group), sk `{due_at}#{org}#{id}`. A sender run reads the rows
  due in its look-back window (at most 3 hours) with one Query per bucket the window spans, so at most 2
  whatever the number of groups: an idle run costs 2 requests at most, a busy one a page more per 200
  rows. The planner's writes spread over 8 buckets a day of the coming days (docs/SCALE.md has the
  busiest key's writes per second).
- gsi2, a patient's messages by send time: `{org}#PAT#{patient_id}#MSGS` / `{send_at}#{id}` (SMS caps,
  `GET /messages?patient_id=`, suppressing a patient's planned rows after STOP or a bounce).
- gsi3, a location's messages by local day: `{org}#LOC#{location_id}#MSGS` / `{local date}#{send_at}#{id}`.

Directory items map an address we sent to back to the patients who have it, for inbound SMS and SES
feedback, which name an address but no group: pk `SYSTEM#CONTACT#{sha256 of channel and address}`,
sk `{org}#{patient_id}` (with the sending identity used), and per group sk `{org}#LAST_REMINDER`: the
appointment of the group's latest reminder SMS to that number, and sk `{org}#SMS_LOG`: the group's SMS
sent to that number in the last `SMS_LOG_SPAN` (instants, patient and message ids), which the sender's
last check counts against the caps per phone number (a family on one phone). The address itself is
hashed: no phone number or email sits in a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.clock import iso
from shared.domain import outbox_lifecycle
from shared.errors import Conflict
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Contention, Failure, UnitOfWork

MESSAGE = "MESSAGE"
WAITING_STATUSES = tuple(map(str, outbox_lifecycle.WAITING))  # rows in the send queue (gsi1)
REPLANNABLE_STATUSES = tuple(map(str, outbox_lifecycle.REPLANNABLE))  # rows a re-plan may overwrite
BATCH_GET_LIMIT = 100
LAST_REMINDER = "LAST_REMINDER"
SMS_LOG = "SMS_LOG"
SMS_LOG_SPAN = timedelta(days=8)  # the caps look back a week of local days: a day more covers every zone
SHARED_SENDER = "shared"  # every group sends from the same number (or pool): the deployment's default


def pk(org: str, message_id: str) -> str:
    return f"{org}#MSG#{message_id}"


BUCKET = timedelta(hours=3)  # a send-queue key's span; the sender never looks back further than this


def bucket_of(instant: datetime) -> datetime:
    return instant.replace(hour=instant.hour - instant.hour % 3, minute=0, second=0, microsecond=0)


def send_queue(instant: datetime) -> str:
    return f"SYSTEM#DUE#{bucket_of(instant):%Y-%m-%dT%H}"


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
        record.gsi1pk, record.gsi1sk = send_queue(due), f"{doc['due_at']}#{org}#{doc['id']}"
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


class _Changed(Conflict):
    """A row's condition failed: a sender took it, or someone changed it since it was read."""


def _changed() -> _Changed:
    return _Changed("the outbox row changed")


def put_all_if_replannable(rows: Sequence[Record]) -> int:
    """`put_if_replannable` for many rows, 100 to a unit of work (one TransactWriteItems); how many were
    written. A chunk in which a sender took a row meanwhile is cancelled whole, then written row by row."""
    condition = Record.pk.does_not_exist() | Record.doc["status"].is_in(*REPLANNABLE_STATUSES)
    written, size = 0, UnitOfWork.room()
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        uow = UnitOfWork()
        for row in chunk:
            uow.put(row, condition, _changed)
        try:
            uow.commit()
        except (_Changed, Contention):
            written += sum(put_if_replannable(row) for row in chunk)
            continue
        written += len(chunk)
    return written


def replace_if_unchanged(record: Record, expected_version: int, also: Sequence[Record] = ()) -> bool:
    """Write a new state of a row read at `expected_version`, and `also` (other items, unconditionally)
    in the same request; False when someone changed the row meanwhile (then nothing is written)."""
    uow = UnitOfWork()
    uow.put(record, Record.version == expected_version, _changed)
    record.version = expected_version + 1
    for item in also:
        uow.put(item, None, _changed)
    try:
        uow.commit()
    except _Changed:
        record.version = expected_version
        return False
    except Exception:
        record.version = expected_version  # as read, so that a retry of the same write means the same
        raise
    return True


def _query_all(source: Any, hash_key: str, condition: Any, newest_first: bool = False) -> Iterator[Record]:
    yield from source.query(hash_key, range_key_condition=condition, scan_index_forward=not newest_first,
                            page_size=200)


def due_rows(now: datetime, lookback: timedelta) -> Iterator[Record]:
    """Rows of every group waiting in the send queue with `due_at` in [now - lookback, now], oldest first:
    one Query per bucket the window spans (at most 2, as the window is never longer than a bucket)."""
    if lookback > BUCKET:
        raise ValueError(f"the sender looks back at most {BUCKET}")
    condition = Record.gsi1sk.between(iso(now - lookback), f"{iso(now)}#~")
    first, last = bucket_of(now - lookback), bucket_of(now)
    yield from _query_all(Record.gsi1, send_queue(first), condition)
    if last != first:
        yield from _query_all(Record.gsi1, send_queue(last), condition)


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


def contact_record(channel: str, address: str, org: str, patient_id: str, location_id: str, at: str,
                   sender: str = SHARED_SENDER) -> Record:
    """The directory item saying `address` belongs to this patient (the latest send wins `last_sent_at`);
    `sender` is the sending identity it went from (the number, or SHARED_SENDER for the one pool)."""
    return Record(pk=directory_pk(channel, address), sk=f"{org}#{patient_id}", kind="contact",
                  doc={"org": org, "patient_id": patient_id, "location_id": location_id, "channel": channel,
                       "last_sent_at": at, "sender": sender})


def remember(*items: Record) -> None:
    """Write directory items on their own (when the row's status write could not carry them)."""
    for item in items:
        item.save()


def last_reminder_record(phone: str, org: str, patient_id: str, location_id: str, appointment_id: str, at: str,
                         sender: str) -> Record:
    """The item saying which appointment the group's latest reminder SMS to `phone` was about (one item per
    number and group, overwritten by each reminder): the appointment a "C" reply from that number confirms."""
    return Record(pk=directory_pk("sms", phone), sk=f"{org}#{LAST_REMINDER}", kind="last_reminder",
                  doc={"org": org, "patient_id": patient_id, "location_id": location_id,
                       "appointment_id": appointment_id, "sent_at": at, "sender": sender})


def sms_log_key(org: str, phone: str | None = None, directory_key: str | None = None) -> tuple[str, str]:
    """The key of the group's SMS log of a number, from the number or from its directory key."""
    return directory_key or directory_pk("sms", phone or ""), f"{org}#{SMS_LOG}"


def sms_log_record(org: str, phone: str, sent: Sequence[dict[str, str]], now: datetime) -> Record:
    """The group's SMS to `phone` (each {at, patient_id, message_id}), those of the last SMS_LOG_SPAN kept."""
    since = iso(now - SMS_LOG_SPAN)
    key_pk, key_sk = sms_log_key(org, phone)
    return Record(pk=key_pk, sk=key_sk, kind="sms_log",
                  doc={"org": org, "sent": [entry for entry in sent if entry["at"] >= since]})


def directory(channel: str, address: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Who we have sent to at `address` ([{org, patient_id, location_id, sender, ...}], most recently sent
    first), and each group's last reminder to it (newest first); one Query."""
    people, reminders = [], []
    for record in _query_all(Record, directory_pk(channel, address), None):
        if record.kind == "contact":
            people.append(record.data())
        elif record.kind == "last_reminder":
            reminders.append(record.data())
    return (sorted(people, key=lambda doc: doc.get("last_sent_at", ""), reverse=True),
            sorted(reminders, key=lambda doc: doc.get("sent_at", ""), reverse=True))


def contacts(channel: str, address: str) -> list[dict[str, Any]]:
    """Who we have sent to at `address`: [{org, patient_id, location_id, ...}], most recently sent first."""
    return directory(channel, address)[0]
