"""EventBridge schedule expressions: `rate(...)` and six-field `cron(...)`, checked before deploying.

cfn-lint and moto accept any string here; EventBridge refuses a bad one only when the stack deploys.
"""

from __future__ import annotations

import re

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_DAY = r"(?:[1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)"
# cron(minutes hours day-of-month month day-of-week year): (lowest, highest, names, special forms)
CRON_FIELDS: tuple[tuple[int, int, tuple[str, ...], tuple[str, ...]], ...] = (
    (0, 59, (), ()),
    (0, 23, (), ()),
    (1, 31, (), (r"L", r"LW", r"(?:[1-9]|[12]\d|3[01])W")),  # last day, last weekday, nearest weekday
    (1, 12, MONTHS, ()),
    (1, 7, DAYS, (r"L", _DAY + r"L", _DAY + r"#[1-5]")),  # last day of week, last <day>, <day>#<nth>
    (1970, 2199, (), ()),
)
DAY_OF_MONTH, DAY_OF_WEEK = 2, 4


def _value(token: str, field: tuple) -> bool:
    low, high, names, _ = field
    return token.upper() in names or (token.isdigit() and low <= int(token) <= high)


def _part(part: str, field: tuple) -> bool:
    """One comma-separated item: `*`, `v`, `a-b`, any of them `/step`, or a field's special form."""
    if any(re.fullmatch(special, part, re.IGNORECASE) for special in field[3]):
        return True
    base, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    start, dash, end = base.partition("-")
    return _value(start, field) and (not dash or _value(end, field))


def is_valid(expression: str) -> bool:
    """rate(N unit) with N >= 1 and the unit singular exactly when N is 1; cron with 6 fields in range and
    exactly one of day-of-month and day-of-week `?` (EventBridge refuses both and neither)."""
    rate = re.fullmatch(r"rate\(([1-9]\d*) (minute|hour|day)(s?)\)", expression)
    if rate:
        return (rate[1] == "1") == (rate[3] == "")
    cron = re.fullmatch(r"cron\((.*)\)", expression)
    if not cron:
        return False
    fields = cron[1].split(" ")
    if len(fields) != len(CRON_FIELDS):
        return False
    if (fields[DAY_OF_MONTH] == "?") == (fields[DAY_OF_WEEK] == "?"):
        return False
    for index, (value, field) in enumerate(zip(fields, CRON_FIELDS, strict=True)):
        if value == "?" and index in (DAY_OF_MONTH, DAY_OF_WEEK):
            continue
        if not all(_part(part, field) for part in value.split(",")):
            return False
    return True


def period_seconds(expression: str) -> int:
    """About how often a valid expression fires: a rate's interval; for cron, a minute when the minutes
    field names more than one minute, an hour when the hours field names more than one hour, else a day."""
    rate = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", expression)
    if rate:
        return int(rate[1]) * {"minute": 60, "hour": 3600, "day": 86400}[rate[2]]
    minutes, hours = expression.removeprefix("cron(").split(" ")[:2]
    if not minutes.isdigit():
        return 60
    return 86400 if hours.isdigit() else 3600
