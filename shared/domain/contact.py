"""Validation of the contact and calendar values the API accepts: time zones, phones, emails, dates."""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
LANGUAGES = ("en", "es")
PURPOSES = ("appointment", "billing", "treatment")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """An IANA Area/Location zone such as America/New_York; abbreviations (EST) and offsets are refused."""
    if name not in _zones() or "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
        raise ValueError("must be an IANA time zone such as America/New_York")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as America/New_York") from exc
    return name


def check_phone(value: str) -> str:
    if not E164.match(value):
        raise ValueError("must be an E.164 phone number such as +15551234567")
    return value


def check_email(value: str) -> str:
    if len(value) > 254 or not EMAIL.match(value):
        raise ValueError("must be an email address")
    return value.strip()


def check_birth_date(value: date, today: date) -> date:
    if value > today:
        raise ValueError("must not be in the future")
    if value.year < today.year - 130:
        raise ValueError("is too far in the past")
    return value


def check_local_time(value: str) -> time:
    """'HH:MM' on a 24-hour clock."""
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise ValueError("must be a local time HH:MM")
    return time.fromisoformat(value)
