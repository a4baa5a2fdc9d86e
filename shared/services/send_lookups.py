"""What one sender run reads more than once, fetched a page of rows at a time (shared/services/sender.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared.domain.messaging_settings import MessagingSettings
from shared.domain.reminders import Channel
from shared.services import outbox, settings
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import outbox as outbox_store
from shared.store import patients as patient_store
from shared.store import records
from shared.store import settings as settings_store
from shared.store.table import Record


class Lookups:
    """What one run reads more than once, by item key: locations and their two settings items, patients,
    appointments, and the group's SMS log of each phone number. Fetched a page of rows at a time: one
    BatchGetItem for the rows' records and the logs of the numbers their SMS were planned for, one more
    only for the logs of numbers that were not known then (a patient's new number, a row planned without)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any] | None] = {}  # None: no such item
        self._settings: dict[tuple[str, str], MessagingSettings] = {}

    @staticmethod
    def _keys(org: str, doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
        yield location_store.pk(org), doc["location_id"]
        yield from settings_store.layer_keys(org, doc["location_id"])
        yield patient_store.pk(org, doc["patient_id"]), patient_store.PROFILE
        if doc.get("appointment_id"):
            yield appointment_store.pk(org, doc["appointment_id"]), appointment_store.APPOINTMENT
        if doc.get("sms_to"):  # the number it was planned for: its log in the same request
            yield outbox_store.sms_log_key(org, directory_key=doc["sms_to"])

    def _fetch(self, keys: Iterable[tuple[str, str]]) -> None:
        missing = [key for key in dict.fromkeys(keys) if key not in self._items]
        found = records.get_many(missing)
        for key in missing:
            self._items[key] = found[key].data() if key in found else None

    def prefetch(self, rows: Iterable[Record]) -> None:
        rows = list(rows)
        self._fetch(key for record in rows for key in self._keys(outbox.org_of(record), record.data()))
        phones = {(org, patient["phone"]) for org, doc in ((outbox.org_of(r), r.data()) for r in rows)
                  if doc["channel"] == Channel.SMS
                  and (patient := self._items.get((patient_store.pk(org, doc["patient_id"]), patient_store.PROFILE)))
                  and patient.get("phone")}
        self._fetch(outbox_store.sms_log_key(org, phone) for org, phone in sorted(phones))

    def _get(self, key: tuple[str, str], load: Callable[[], Record | None]) -> dict[str, Any] | None:
        if key not in self._items:
            record = load()
            self._items[key] = record.data() if record is not None else None
        return self._items[key]

    def location(self, org: str, location_id: str) -> dict[str, Any] | None:
        return self._get((location_store.pk(org), location_id), lambda: location_store.get(org, location_id))

    def patient(self, org: str, patient_id: str) -> dict[str, Any] | None:
        return self._get((patient_store.pk(org, patient_id), patient_store.PROFILE),
                         lambda: patient_store.get(org, patient_id))

    def appointment(self, org: str, appointment_id: str) -> dict[str, Any] | None:
        return self._get((appointment_store.pk(org, appointment_id), appointment_store.APPOINTMENT),
                         lambda: appointment_store.load(org, appointment_id))

    def settings(self, org: str, location: dict[str, Any]) -> MessagingSettings:
        """The location's effective settings, from its settings items as prefetched (read once a run)."""
        if (org, location["id"]) not in self._settings:
            group_key, own_key = settings_store.layer_keys(org, location["id"])
            self._fetch((group_key, own_key))
            self._settings[(org, location["id"])] = settings.of_layers(location, self._items[group_key],
                                                                       self._items[own_key])
        return self._settings[(org, location["id"])]

    def sms_log(self, org: str, phone: str) -> list[dict[str, str]]:
        """The group's SMS sent to `phone` lately ({at, patient_id, message_id}), as this run knows them."""
        key = outbox_store.sms_log_key(org, phone)
        self._fetch((key,))
        return list((self._items[key] or {}).get("sent", []))

    def logged(self, log: Record) -> None:
        """The run wrote `log`: later rows of this run count the SMS it added."""
        self._items[(log.pk, log.sk)] = log.data()
