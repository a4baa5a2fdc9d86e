"""Shared pieces of the request models. Every model forbids unknown fields (no mass assignment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared import clock
from shared.domain import contact, text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Patch(Strict):
    """A PATCH body. Its semantics, decided here for every resource: only the fields the caller sent
    change; null removes an optional field (a service refuses it for a required one); nested values
    come whole."""

    def sent(self, name: str) -> bool:
        return name in self.model_fields_set

    def changes(self, *, as_json: bool = True) -> dict[str, Any]:
        """The fields sent, as JSON values by default; `as_json=False` keeps validated Python values."""
        dumped = self.model_dump(mode="json" if as_json else "python")
        return {name: dumped[name] for name in self.model_fields_set}


def _birth_date(value: date) -> date:
    return contact.check_birth_date(value, datetime.now(UTC).date())


def _local_time(value: str) -> str:
    contact.check_local_time(value)
    return value


def _line(value: str) -> str:
    return text.check_text(value)


def _note(value: str) -> str:
    return text.check_text(value, multiline=True)


def Line(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - a type, like the others here
    """One line of text a person typed (a name, a reference): no control or format characters, NFC."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_line)]


def Note(max_length: int, min_length: int = 0) -> Any:  # noqa: N802
    """Free text that may span lines (tabs and line breaks allowed, other controls not), NFC."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_note)]


EARLIEST_DATE = date(1900, 1, 1)
FIVE_YEARS = timedelta(days=5 * 365 + 1)


def _window(earliest: Callable[[date], date], latest: Callable[[date], date]) -> AfterValidator:
    """Dates between two bounds computed from today's UTC date (read at validation: tests may freeze it)."""

    def check(value: date) -> date:
        today = clock.now().astimezone(UTC).date()
        low, high = earliest(today), latest(today)
        if not low <= value <= high:
            raise ValueError(f"must be between {low.isoformat()} and {high.isoformat()}")
        return value

    return AfterValidator(check)


# A day to look at (a list's date, a KPI range): 1900 to five years from now.
CALENDAR_WINDOW = _window(lambda _: EARLIEST_DATE, lambda today: today + FIVE_YEARS)
CalendarDate = Annotated[date, CALENDAR_WINDOW]
# A day that has happened (a service date), with a day of slack for time zones ahead of UTC.
PastDate = Annotated[date, _window(lambda _: EARLIEST_DATE, lambda today: today + timedelta(days=1))]
# A payment plan's first due date: a year back to five years ahead (a schedule runs at most 72 months from it).
DueDate = Annotated[date, _window(lambda today: today - timedelta(days=366), lambda today: today + FIVE_YEARS)]
TimeZone = Annotated[str, AfterValidator(contact.check_timezone), Field(examples=["America/New_York"])]
Phone = Annotated[str, AfterValidator(contact.check_phone), Field(examples=["+15551234567"])]
Email = Annotated[str, Field(max_length=254), AfterValidator(contact.check_email)]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
LocalTime = Annotated[str, AfterValidator(_local_time), Field(examples=["08:00"])]
Name = Line(100, min_length=1)
Cents = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
Limit = Annotated[int, Field(ge=1, le=100)]
Language = Annotated[str, Field(pattern="^(en|es)$")]


class PageQuery(Strict):
    limit: Limit = 50
    cursor: str | None = None
