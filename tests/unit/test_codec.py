"""The domain's one JSON codec: every kind of field it supports goes to JSON and back unchanged, and the
value types that use it keep their wire shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from shared.domain.codec import JsonValue, from_json
from shared.domain.installments import build_schedule
from shared.domain.ledger import EntryKind, LedgerEntry, Party, balances


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Inner(JsonValue):
    when: date
    colour: Colour


@dataclass(frozen=True)
class Outer(JsonValue):
    at: datetime
    rate: Decimal
    inners: tuple[Inner, ...]
    tags: frozenset[str]
    by_name: dict[str, Inner]
    maybe: Inner | None = None
    note: str = ""
    extra: list[int] = field(default_factory=list)


def test_every_supported_field_survives_json_and_back() -> None:
    value = Outer(at=datetime(2026, 11, 30, 9, 5, 1, 123000, tzinfo=UTC), rate=Decimal("0.0083333333"),
                  inners=(Inner(date(2026, 1, 31), Colour.RED),), tags=frozenset({"b", "a"}),
                  by_name={"x": Inner(date(2027, 2, 28), Colour.BLUE)}, maybe=None, extra=[1, 2])
    data = json.loads(json.dumps(value.to_dict()))
    assert data["at"] == "2026-11-30T09:05:01.123Z" and data["rate"] == "0.0083333333"
    assert data["tags"] == ["a", "b"] and data["inners"] == [{"when": "2026-01-31", "colour": "red"}]
    assert from_json(Outer, data) == value


def test_absent_fields_take_defaults_and_unknown_keys_are_ignored() -> None:
    data = {"at": "2026-11-30T09:05:01.000Z", "rate": "1", "inners": [], "tags": [], "by_name": {},
            "totals": {"derived": 1}}
    assert from_json(Outer, data) == Outer(datetime(2026, 11, 30, 9, 5, 1, tzinfo=UTC), Decimal(1), (),
                                           frozenset(), {})


def test_value_types_keep_their_wire_shapes() -> None:
    entry = LedgerEntry("led_1", EntryKind.PAYMENT, 2500, Party.PATIENT, "2026-11-30T09:00:00.000Z",
                        payment_id="pay_1")
    assert entry.to_dict()["kind"] == "payment" and LedgerEntry.from_dict(entry.to_dict()) == entry
    assert balances([entry]).to_dict()["paid_cents"] == 2500
    schedule = build_schedule(30000, 0, 3, "monthly", 1299, date(2025, 1, 31)).to_dict()
    assert schedule["frequency"] == "monthly" and isinstance(schedule["periodic_rate"], str)
    assert [item["due_date"] for item in schedule["installments"]] == ["2025-01-31", "2025-02-28", "2025-03-31"]


def test_an_item_round_trips_through_its_doc_with_the_items_version():
    from shared.store.records import document, typed
    from shared.store.table import Record

    @dataclass(frozen=True)
    class Visit:
        id: str
        at: datetime
        notes: str | None = None
        version: int = 0

    visit = Visit("v1", datetime(2026, 3, 1, 14, 30, tzinfo=UTC))
    doc = document(visit)
    assert doc == {"id": "v1", "at": "2026-03-01T14:30:00.000Z"}  # no null, no version in the doc
    record = Record(pk="p", sk="s", kind="visit", doc=doc, version=7)
    assert typed(Visit, record) == Visit("v1", visit.at, None, 7)
