"""SMS caps per patient AND per phone number, and which message gets the day's SMS when they compete.

The healthcare exemption allows at most `daily` SMS per local day and `weekly` in any 7 consecutive
local days. Counting only per patient lets a family sharing one phone get several texts a day, so every
cap is checked twice: against the patient's SMS and against every SMS to the same number.

When several candidate SMS compete for what the caps leave, the one about the nearer appointment wins
(the visit that comes first is the one a patient may miss); messages about no appointment come after
appointment ones, earlier send times first. Already sent (or being sent) SMS are fixed and count first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from shared.clock import local_date, require_utc

WEEK_DAYS = 7


class CapReason(StrEnum):
    SMS_DAILY_CAP = "sms_daily_cap"
    SMS_WEEKLY_CAP = "sms_weekly_cap"


@dataclass(frozen=True)
class Caps:
    daily: int = 1
    weekly: int = 3


@dataclass(frozen=True)
class CountedSms:
    """An SMS that already counts: sent, being sent, or planned outside this allocation."""

    patient_id: str
    phone: str
    send_at: datetime


@dataclass(frozen=True)
class SmsCandidate:
    """An SMS waiting for a place under the caps; `appointment_start` is what it is about, if anything."""

    id: str
    patient_id: str
    phone: str
    send_at: datetime
    appointment_start: datetime | None = None

    def precedence(self) -> tuple[int, datetime, datetime, str]:
        start = self.appointment_start
        return (0 if start is not None else 1, require_utc(start or self.send_at, "appointment_start"),
                require_utc(self.send_at, "send_at"), self.id)


def cap_reason(day: date, counted_days: Sequence[date], caps: Caps) -> CapReason | None:
    """Which cap one more SMS on local `day` would break, given the local days of the SMS counted."""
    if sum(1 for other in counted_days if other == day) + 1 > caps.daily:
        return CapReason.SMS_DAILY_CAP
    for first in (day - timedelta(days=back) for back in range(WEEK_DAYS)):
        last = first + timedelta(days=WEEK_DAYS - 1)
        if sum(1 for other in counted_days if first <= other <= last) + 1 > caps.weekly:
            return CapReason.SMS_WEEKLY_CAP
    return None


def allocate(candidates: Iterable[SmsCandidate], counted: Iterable[CountedSms], caps: Caps,
             tz_name: str) -> dict[str, CapReason | None]:
    """Each candidate's cap verdict (None: it may go), nearer appointments served first."""
    by_patient: dict[str, list[date]] = {}
    by_phone: dict[str, list[date]] = {}
    for sms in counted:
        day = local_date(sms.send_at, tz_name)
        by_patient.setdefault(sms.patient_id, []).append(day)
        by_phone.setdefault(sms.phone, []).append(day)
    verdicts: dict[str, CapReason | None] = {}
    for candidate in sorted(candidates, key=SmsCandidate.precedence):
        day = local_date(candidate.send_at, tz_name)
        patient_days = by_patient.setdefault(candidate.patient_id, [])
        phone_days = by_phone.setdefault(candidate.phone, []) if candidate.phone else []
        reason = cap_reason(day, patient_days, caps) or (cap_reason(day, phone_days, caps) if candidate.phone
                                                          else None)
        verdicts[candidate.id] = reason
        if reason is None:
            patient_days.append(day)
            if candidate.phone:
                phone_days.append(day)
    return verdicts
