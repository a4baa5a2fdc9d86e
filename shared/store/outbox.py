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

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.clock import iso
from shared.domain import outbox_lifecycle
from shared.domain.codec import from_json
from shared.domain.messages import ITEM_FIELDS, Message
from shared.errors import Conflict
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Contention, Failure, UnitOfWork

MESSAGE = "MESSAGE"
WAITING_STATUSES = tuple(map(str, outbox_lifecycle.WAITING))  # rows in the send queue (gsi1)
REPLANNABLE_STATUSES = tuple(map(str, outbox_lifecycle.REPLANNABLE))  # rows a re-plan may overwrite
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


def item(org: str, message: Message) -> Record:
    """The item of a row: its doc (without the item's own fields), and its indexes (the send queue only
    while it waits)."""
    if message.local_send_date is None:
        raise ValueError("an outbox row needs the local date of its send time (its location index)")
    doc = document(message)
    send_at = doc["send_at"]
    record = Record(pk=pk(org, message.id), sk=MESSAGE, kind="message", doc=doc, version=message.version,
                    gsi2pk=by_patient(org, message.patient_id), gsi2sk=f"{send_at}#{message.id}",
                    gsi3pk=by_location(org, message.location_id),
                    gsi3sk=f"{message.local_send_date.isoformat()}#{send_at}#{message.id}")
    if message.waiting:
        record.gsi1pk, record.gsi1sk = send_queue(message.due_at), f"{doc['due_at']}#{org}#{message.id}"
    return record


def document(message: Message) -> dict[str, Any]:
    """The doc of a row's item: its fields as stored (no empty ones, none of the item's own)."""
    return {name: value for name, value in records.document(message).items() if name not in ITEM_FIELDS}


def of(record: Record) -> Message:
    """A stored row as its value, with the item's version and the local date its location index holds."""
    local_date = (record.gsi3sk or "").split("#", 1)[0] or None
    return from_json(Message, {**record.data(), "version": int(record.version), "local_send_date": local_date})


def org_of(record: Record) -> str:
    return record.pk.split("#", 1)[0]


def get(org: str, message_id: str, consistent: bool = False) -> Message | None:
    if not has_prefix(message_id, "msg"):
        return None
    record = records.get(pk(org, message_id), MESSAGE, consistent=consistent)
    return of(record) if record is not None else None


def get_many(org: str, message_ids: Iterable[str]) -> dict[str, Message]:
    """Rows by id (BatchGetItem, 100 keys a request); ids without a row are absent from the result."""
    found = records.get_many((pk(org, message_id), MESSAGE) for message_id in message_ids)
    return {message.id: message for message in map(of, found.values())}


def _replannable() -> Any:
    return Record.pk.does_not_exist() | Record.doc["status"].is_in(*REPLANNABLE_STATUSES)


def put_new(uow: UnitOfWork, org: str, message: Message) -> None:
    """A row that cannot exist yet (a random id: a signing link's message), in `uow`."""
    uow.put_new(item(org, message))


def add_if_replannable(uow: UnitOfWork, org: str, message: Message, on_fail: Failure) -> None:
    """The same write as `put_if_replannable`, committed with the rest of a unit of work (a booking and its
    reminders): `on_fail` when a sender has taken the row meanwhile."""
    uow.put(item(org, message), _replannable(), on_fail)


def put_if_replannable(org: str, message: Message) -> bool:
    """Write a planned row unless a sender has taken it (sending, sent, failed); False when it had."""
    try:
        item(org, message).save(condition=_replannable())
    except PutError as exc:
        if records.is_conditional_failure(exc):
            return False
        raise
    return True


class _Changed(Conflict):
    """A row's condition failed: a sender took it, or someone changed it since it was read."""


def _changed() -> _Changed:
    return _Changed("the outbox row changed")


def put_all_if_replannable(rows: Sequence[tuple[str, Message]]) -> int:
    """`put_if_replannable` for many (org, row) pairs, 100 to a unit of work (one TransactWriteItems); how
    many were written. A chunk in which a sender took a row meanwhile is cancelled whole, then written row
    by row."""
    written, size = 0, UnitOfWork.room()
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        uow = UnitOfWork()
        for org, message in chunk:
            uow.put(item(org, message), _replannable(), _changed)
        try:
            uow.commit()
        except (_Changed, Contention):
            written += sum(put_if_replannable(org, message) for org, message in chunk)
            continue
        written += len(chunk)
    return written


def replace_if_unchanged(org: str, message: Message, also: Sequence[Record] = ()) -> Message | None:
    """Write `message`, a new state of a row read at `message.version`, and `also` (other items,
    unconditionally) in the same request: the row as stored (its version moved on), or None when someone
    changed the row meanwhile (then nothing is written)."""
    uow = UnitOfWork()
    written = dataclasses.replace(message, version=message.version + 1)
    uow.put(item(org, written), Record.version == message.version, _changed)
    for other in also:
        uow.put(other, None, _changed)
    try:
        uow.commit()
    except _Changed:
        return None
    return written


def _query_all(source: Any, hash_key: str, condition: Any, newest_first: bool = False) -> Iterator[Record]:
    yield from source.query(hash_key, range_key_condition=condition, scan_index_forward=not newest_first,
                            page_size=200)


def due_rows(now: datetime, lookback: timedelta) -> Iterator[tuple[str, Message]]:
    """(group, row) of every group waiting in the send queue with `due_at` in [now - lookback, now], oldest
    first: one Query per bucket the window spans (at most 2, as the window is never longer than a bucket)."""
    if lookback > BUCKET:
        raise ValueError(f"the sender looks back at most {BUCKET}")
    condition = Record.gsi1sk.between(iso(now - lookback), f"{iso(now)}#~")
    first, last = bucket_of(now - lookback), bucket_of(now)
    buckets = (first,) if last == first else (first, last)
    for bucket in buckets:
        for record in _query_all(Record.gsi1, send_queue(bucket), condition):
            yield org_of(record), of(record)


def for_patient_between(org: str, patient_id: str, first: datetime, last: datetime) -> list[Message]:
    """A patient's rows with `send_at` in [first, last]."""
    condition = Record.gsi2sk.between(iso(first), f"{iso(last)}#~")
    return [of(record) for record in _query_all(Record.gsi2, by_patient(org, patient_id), condition)]


Listed = tuple[list[Message], dict | None]  # a page of rows and the start key of the next


def page_for_patient(org: str, patient_id: str, limit: int, start_key: dict | None) -> Listed:
    page = records.query(by_patient(org, patient_id), index="gsi2", limit=limit, start_key=start_key,
                         newest_first=True)
    return [of(record) for record in page.records], page.last_key


def page_for_location_day(org: str, location_id: str, local_date: str, limit: int, start_key: dict | None) -> Listed:
    page = records.query(by_location(org, location_id), index="gsi3", sk_prefix=f"{local_date}#", limit=limit,
                         start_key=start_key)
    return [of(record) for record in page.records], page.last_key


def for_location_days(org: str, location_id: str, first_date: str, last_date: str) -> Iterator[Message]:
    """A location's rows whose local send date lies in [first_date, last_date] (YYYY-MM-DD)."""
    condition = Record.gsi3sk.between(f"{first_date}#", f"{last_date}#~")
    for record in _query_all(Record.gsi3, by_location(org, location_id), condition):
        yield of(record)


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
