"""What one sender run reads more than once, fetched a page of rows at a time (shared/services/sender.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared.domain.appointments import Appointment
from shared.domain.locations import Location
from shared.domain.messages import Message
from shared.domain.messaging_settings import MessagingSettings
from shared.domain.patients import Patient
from shared.domain.reminders import Channel
from shared.services import settings
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import outbox as outbox_store
from shared.store import patients as patient_store
from shared.store import records
from shared.store import settings as settings_store
from shared.store.table import Record

Key = tuple[str, str]
Decode = Callable[[Record], Any]


def _doc(record: Record) -> dict[str, Any]:
    return record.data()


class Lookups:
    """What one run reads more than once, by item key: locations and their two settings items, patients,
    appointments, and the group's SMS log of each phone number. Fetched a page of rows at a time: one
    BatchGetItem for the rows' records and the logs of the numbers their SMS were planned for, one more
    only for the logs of numbers that were not known then (a patient's new number, a row planned without)."""

    def __init__(self) -> None:
        self._items: dict[Key, Any] = {}  # each item decoded as its kind (None: no such item)
        self._settings: dict[tuple[str, str], MessagingSettings] = {}

    @staticmethod
    def _keys(org: str, row: Message) -> Iterator[tuple[Key, Decode]]:
        yield location_store.key(org, row.location_id), location_store.of
        yield from ((key, _doc) for key in settings_store.layer_keys(org, row.location_id))
        yield patient_store.key(org, row.patient_id), patient_store.of
        if row.appointment_id:
            yield appointment_store.key(org, row.appointment_id), appointment_store.of
        if row.sms_to:  # the number it was planned for: its log in the same request
            yield outbox_store.sms_log_key(org, directory_key=row.sms_to), _doc

    def _fetch(self, keys: Iterable[tuple[Key, Decode]]) -> None:
        missing = {key: decode for key, decode in keys if key not in self._items}
        found = records.get_many(missing)
        for key, decode in missing.items():
            self._items[key] = decode(found[key]) if key in found else None

    def prefetch(self, rows: Iterable[tuple[str, Message]]) -> None:
        """Fetch what a page of (group, row) will need, before sending any of them."""
        rows = list(rows)
        self._fetch(key for org, row in rows for key in self._keys(org, row))
        phones = {(org, patient.phone) for org, row in rows
                  if row.channel is Channel.SMS
                  and (patient := self._items.get(patient_store.key(org, row.patient_id)))
                  and patient.phone}
        self._fetch((outbox_store.sms_log_key(org, phone), _doc) for org, phone in sorted(phones))

    def _get(self, key: Key, load: Callable[[], Any]) -> Any:
        if key not in self._items:
            self._items[key] = load()
        return self._items[key]

    def location(self, org: str, location_id: str) -> Location | None:
        return self._get(location_store.key(org, location_id), lambda: location_store.load(org, location_id))

    def patient(self, org: str, patient_id: str) -> Patient | None:
        return self._get(patient_store.key(org, patient_id), lambda: patient_store.load(org, patient_id))

    def appointment(self, org: str, appointment_id: str) -> Appointment | None:
        return self._get(appointment_store.key(org, appointment_id),
                         lambda: appointment_store.load(org, appointment_id))

    def settings(self, org: str, location: Location) -> MessagingSettings:
        """The location's effective settings, from its settings items as prefetched (read once a run)."""
        if (org, location.id) not in self._settings:
            group_key, own_key = settings_store.layer_keys(org, location.id)
            self._fetch(((group_key, _doc), (own_key, _doc)))
            self._settings[(org, location.id)] = settings.of_layers(location, self._items[group_key],
                                                                    self._items[own_key])
        return self._settings[(org, location.id)]

    def sms_log(self, org: str, phone: str) -> list[dict[str, str]]:
        """The group's SMS sent to `phone` lately ({at, patient_id, message_id}), as this run knows them."""
        key = outbox_store.sms_log_key(org, phone)
        self._fetch(((key, _doc),))
        return list((self._items[key] or {}).get("sent", []))

    def logged(self, log: Record) -> None:
        """The run wrote `log`: later rows of this run count the SMS it added."""
        self._items[(log.pk, log.sk)] = log.data()
