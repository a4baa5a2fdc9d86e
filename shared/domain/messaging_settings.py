"""Per-location messaging and payment settings: group defaults that each location overrides.

A settings document (the group's defaults, or one location's overrides) may carry any of these
sections; a section a document leaves out comes from the layer below it (location -> group ->
the system defaults of DESIGN.md section 2):

    reminders        [{kind, days_before | hours_before, channels}]  the appointment reminders
    templates        {kind: {language: {sms, email_subject, email_body}}}  own wording (template_checks)
    quiet_hours      {start, end}  local "HH:MM"; inside 08:00-21:00 (stricter only) with >= 1 h between
    working_days     ["mon", ...]  for KPIs per working day and follow-up due dates
    sms_daily_cap, sms_weekly_cap  per patient and per phone number
    payment_terms    {pay_in_full_discount_pct, in_house_terms: [{count, frequency, apr_bps,
                     down_payment_pct}]}  (installment counts, APR options, minimum down payment)
    financing_offers [{id, name, offers: [{months, apr_bps, deferred_interest, min_amount_cents}]}]

A section replaces the one below it as a whole, except `templates`, which merge per kind and language
(a location rewording one reminder keeps the group's other wordings). `parse_layer` validates one
document and returns it normalised (what is stored); `effective` merges layers into the settings the
planner, the sender and the payment options use. Every problem is reported with its field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from shared.clock import require_utc
from shared.domain.contact import check_local_time
from shared.domain.payment_options import PaymentPolicy
from shared.domain.quiet_hours import QuietHours, local_days_before
from shared.domain.reminders import Channel, ReminderKind
from shared.domain.template_checks import check_wording
from shared.domain.templates import Wording
from shared.errors import InvalidInput

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LAWFUL_EARLIEST, LAWFUL_LATEST = time(8, 0), time(21, 0)  # TCPA: no calls or texts before 8 am or after 9 pm
MIN_SENDING_MINUTES = 60
MAX_DAYS_BEFORE, MAX_HOURS_BEFORE = 30, 72
MAX_SMS_DAILY_CAP, MAX_SMS_WEEKLY_CAP = 5, 10
SECTIONS = ("reminders", "templates", "quiet_hours", "working_days", "sms_daily_cap", "sms_weekly_cap",
            "payment_terms", "financing_offers")
WORDING_PARTS = ("sms", "email_subject", "email_body")


@dataclass(frozen=True)
class ReminderStep:
    """One appointment reminder: sent `days_before` (same local wall-clock time) or `hours_before`."""

    kind: str
    channels: tuple[Channel, ...]
    days_before: int | None = None
    hours_before: int | None = None

    def send_time(self, start: datetime, tz_name: str) -> datetime:
        """The wished send instant for an appointment starting at `start`, before quiet hours."""
        if self.days_before is not None:
            return local_days_before(start, self.days_before, tz_name)
        return require_utc(start, "start") - timedelta(hours=self.hours_before or 0)

    def to_dict(self) -> dict[str, Any]:
        offset = {"days_before": self.days_before} if self.days_before is not None else {
            "hours_before": self.hours_before}
        return {"kind": self.kind, **offset, "channels": [str(channel) for channel in self.channels]}


DEFAULT_REMINDERS = (
    ReminderStep(ReminderKind.REMINDER_7D, (Channel.EMAIL,), days_before=7),
    ReminderStep(ReminderKind.REMINDER_2D, (Channel.EMAIL, Channel.SMS), days_before=2),
    ReminderStep(ReminderKind.REMINDER_2H, (Channel.SMS,), hours_before=2),
)


@dataclass(frozen=True)
class MessagingSettings:
    """The effective settings of one location."""

    reminders: tuple[ReminderStep, ...] = DEFAULT_REMINDERS
    wordings: Mapping[tuple[str, str], Wording] = field(default_factory=dict)  # (kind, language) -> wording
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    working_days: frozenset[int] = frozenset(range(5))  # date.weekday() numbers, Monday = 0
    sms_daily_cap: int = 1
    sms_weekly_cap: int = 3
    payment: PaymentPolicy = field(default_factory=PaymentPolicy)

    def reminder_schedule(self) -> tuple[tuple[str, Channel], ...]:
        """(kind, channel) of every reminder row an appointment gets, in the order of the steps."""
        return tuple((step.kind, channel) for step in self.reminders for channel in step.channels)

    def step(self, kind: str) -> ReminderStep | None:
        return next((step for step in self.reminders if step.kind == kind), None)

    def wording(self, kind: str, language: str) -> Wording | None:
        return self.wordings.get((kind, language))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days

    def to_dict(self) -> dict[str, Any]:
        templates: dict[str, dict[str, Any]] = {}
        for (kind, language), wording in sorted(self.wordings.items()):
            templates.setdefault(kind, {})[language] = wording.to_dict()
        policy = self.payment.to_dict()
        return {
            "reminders": [step.to_dict() for step in self.reminders],
            "templates": templates,
            "quiet_hours": {"start": f"{self.quiet_hours.earliest:%H:%M}", "end": f"{self.quiet_hours.latest:%H:%M}"},
            "working_days": [WEEKDAY_NAMES[n] for n in sorted(self.working_days)],
            "sms_daily_cap": self.sms_daily_cap,
            "sms_weekly_cap": self.sms_weekly_cap,
            "payment_terms": {"pay_in_full_discount_pct": policy["pay_in_full_discount_pct"],
                              "in_house_terms": policy["in_house_terms"]},
            "financing_offers": policy["financing_providers"],
        }


def parse_layer(document: object, lawful_hours: bool = True) -> dict[str, Any]:
    """One settings document (group defaults or a location's overrides), validated and normalised.

    `lawful_hours=False` accepts quiet hours outside 08:00-21:00: only for the quiet hours a location
    document carried before settings existed (they are read as they were accepted then).
    Raises InvalidInput listing every problem with its field path.
    """
    parser = _LayerParser(lawful_hours)
    layer = parser.parse(document)
    parser.raise_if_bad("invalid settings")
    return layer


def patch_layer(current: Mapping[str, Any], patch: object) -> dict[str, Any]:
    """A stored layer changed by a PATCH body: a section sent as null is removed (the layer below shows
    through again), a template language sent as null likewise; other sections sent replace the stored
    ones, and templates merge per kind and language. The patch is validated like any document."""
    parsed = parse_layer(patch)
    assert isinstance(patch, Mapping)  # parse_layer refused anything else
    result = {section: value for section, value in current.items() if not (section in patch and patch[section] is None)}
    for section, value in parsed.items():
        if section != "templates":
            result[section] = value
            continue
        templates = {kind: dict(languages) for kind, languages in result.get("templates", {}).items()}
        for kind, languages in value.items():
            for language, parts in languages.items():
                if parts is None:
                    templates.get(kind, {}).pop(language, None)
                else:
                    templates.setdefault(kind, {})[language] = parts
        result["templates"] = {kind: languages for kind, languages in templates.items() if languages}
    return result


def merge_layers(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win per section; `templates` merge per kind and language."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for section, value in layer.items():
            if section == "templates":
                templates = {kind: dict(languages) for kind, languages in merged.get("templates", {}).items()}
                for kind, languages in value.items():
                    templates.setdefault(kind, {}).update(languages)
                merged["templates"] = templates
            else:
                merged[section] = value
    return merged


def effective(*layers: Mapping[str, Any]) -> MessagingSettings:
    """The settings the layers (each already normalised by `parse_layer`) add up to, lowest first."""
    merged = merge_layers(*layers)
    defaults = MessagingSettings()
    quiet = merged.get("quiet_hours")
    terms = merged.get("payment_terms", {})
    policy_doc = {**terms, **({"financing_providers": merged["financing_offers"]} if "financing_offers" in merged
                              else {})}
    settings = MessagingSettings(
        reminders=tuple(_step(doc) for doc in merged["reminders"]) if "reminders" in merged else defaults.reminders,
        wordings={(kind, language): Wording(**parts) for kind, languages in merged.get("templates", {}).items()
                  for language, parts in languages.items()},
        quiet_hours=QuietHours(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]))
        if quiet else defaults.quiet_hours,
        working_days=frozenset(WEEKDAY_NAMES.index(name) for name in merged["working_days"])
        if "working_days" in merged else defaults.working_days,
        sms_daily_cap=merged.get("sms_daily_cap", defaults.sms_daily_cap),
        sms_weekly_cap=merged.get("sms_weekly_cap", defaults.sms_weekly_cap),
        payment=PaymentPolicy.from_dict(policy_doc),
    )
    if settings.sms_weekly_cap < settings.sms_daily_cap:
        raise InvalidInput("invalid settings", details=[
            {"field": "sms_weekly_cap", "message": "must be at least sms_daily_cap"}])
    return settings


def next_working_day(day: date, working_days: frozenset[int]) -> date:
    """`day` itself when it is a working day, else the next one (a follow-up due on a Sunday moves on)."""
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in working_days:
            return candidate
    return day  # no working day at all cannot be configured; keep the day rather than loop


def count_working_days(first: date, last: date, working_days: frozenset[int]) -> int:
    """Working days in [first, last], both included (0 when last is before first)."""
    if last < first:
        return 0
    total = (last - first).days + 1
    weeks, rest = divmod(total, 7)
    tail = sum(1 for n in range(rest) if (first + timedelta(days=weeks * 7 + n)).weekday() in working_days)
    return weeks * len(working_days) + tail


def _step(doc: Mapping[str, Any]) -> ReminderStep:
    return ReminderStep(kind=doc["kind"], channels=tuple(Channel(c) for c in doc["channels"]),
                        days_before=doc.get("days_before"), hours_before=doc.get("hours_before"))


class _LayerParser:
    """Collects every problem in a settings document before raising, so one reply lists them all."""

    def __init__(self, lawful_hours: bool) -> None:
        self.lawful_hours = lawful_hours
        self.details: list[dict[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.details.append({"field": path, "message": message})

    def raise_if_bad(self, message: str) -> None:
        if self.details:
            raise InvalidInput(message, details=self.details)

    def parse(self, document: object) -> dict[str, Any]:
        if not isinstance(document, Mapping):
            self.bad("settings", "must be an object")
            return {}
        for key in sorted(set(document) - set(SECTIONS), key=str):
            self.bad(str(key), "unknown setting: one of " + ", ".join(SECTIONS))
        layer: dict[str, Any] = {}
        parsers = {"reminders": self.reminders, "templates": self.templates, "quiet_hours": self.quiet_hours,
                   "working_days": self.working_days, "sms_daily_cap": self.cap, "sms_weekly_cap": self.cap,
                   "payment_terms": self.payment_terms, "financing_offers": self.financing_offers}
        for section, parse_section in parsers.items():
            if document.get(section) is not None:
                layer[section] = parse_section(document[section], section)
        return layer

    def reminders(self, value: object, path: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or len(value) > len(ReminderKind):
            self.bad(path, f"must be a list of at most {len(ReminderKind)} reminders")
            return []
        steps = [self.reminder(item, f"{path}[{index}]") for index, item in enumerate(value)]
        kinds = [step.get("kind") for step in steps]
        if len(kinds) != len(set(kinds)):
            self.bad(path, "each reminder kind may appear once")
        return steps

    def reminder(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            self.bad(path, "must be an object")
            return {}
        for key in sorted(set(value) - {"kind", "days_before", "hours_before", "channels"}, key=str):
            self.bad(f"{path}.{key}", "unknown field")
        kind = value.get("kind")
        if kind not in {str(k) for k in ReminderKind}:
            self.bad(f"{path}.kind", "must be one of " + ", ".join(str(k) for k in ReminderKind))
        offsets = [name for name in ("days_before", "hours_before") if value.get(name) is not None]
        step: dict[str, Any] = {"kind": kind}
        if len(offsets) != 1:
            self.bad(path, "give exactly one of days_before and hours_before")
        else:
            name = offsets[0]
            limit = MAX_DAYS_BEFORE if name == "days_before" else MAX_HOURS_BEFORE
            step[name] = self.integer(value[name], f"{path}.{name}", 1, limit)
        channels = value.get("channels")
        if (not isinstance(channels, list) or len(set(map(str, channels))) != len(channels)
                or not set(map(str, channels)) <= {str(c) for c in Channel}):
            self.bad(f"{path}.channels", "must list distinct channels among email, sms (empty turns it off)")
            channels = []
        step["channels"] = [str(c) for c in channels]
        return step

    def templates(self, value: object, path: str) -> dict[str, dict[str, Any]]:
        """{kind: {language: parts}}; a null language entry removes an override (kept as None)."""
        if not isinstance(value, Mapping):
            self.bad(path, "must map message kinds to languages")
            return {}
        out: dict[str, dict[str, Any]] = {}
        for kind, languages in value.items():
            if not isinstance(languages, Mapping):
                self.bad(f"{path}.{kind}", "must map languages to wording")
                continue
            for language, parts in languages.items():
                where = f"{path}.{kind}.{language}"
                if parts is None:
                    out.setdefault(str(kind), {})[str(language)] = None
                    continue
                if not isinstance(parts, Mapping) or not parts or not set(parts) <= set(WORDING_PARTS) or not all(
                        isinstance(text, str) for text in parts.values()):
                    self.bad(where, "must give text for some of " + ", ".join(WORDING_PARTS))
                    continue
                wording = Wording(**parts)
                self.details.extend(check_wording(str(kind), str(language), wording, where))
                out.setdefault(str(kind), {})[str(language)] = wording.to_dict()
        return out

    def quiet_hours(self, value: object, path: str) -> dict[str, str]:
        if not isinstance(value, Mapping) or set(value) != {"start", "end"}:
            self.bad(path, "must be {start, end} local times HH:MM")
            return {}
        try:
            start, end = check_local_time(str(value["start"])), check_local_time(str(value["end"]))
        except ValueError as exc:
            self.bad(path, str(exc))
            return {}
        sending = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds() / 60
        if sending < MIN_SENDING_MINUTES:
            self.bad(path, f"leaves no sending time: start must be at least {MIN_SENDING_MINUTES} minutes before end")
        elif self.lawful_hours and (start < LAWFUL_EARLIEST or end > LAWFUL_LATEST):
            self.bad(path, "messages may go out only between 08:00 and 21:00 local time: set stricter hours only")
        return {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}

    def working_days(self, value: object, path: str) -> list[str]:
        if (not isinstance(value, list) or not value or not set(map(str, value)) <= set(WEEKDAY_NAMES)
                or len(set(value)) != len(value)):
            self.bad(path, "must list one or more distinct days among " + ", ".join(WEEKDAY_NAMES))
            return []
        return [name for name in WEEKDAY_NAMES if name in value]

    def cap(self, value: object, path: str) -> int:
        limit = MAX_SMS_DAILY_CAP if path == "sms_daily_cap" else MAX_SMS_WEEKLY_CAP
        return self.integer(value, path, 0, limit)

    def payment_terms(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, Mapping) or not set(value) <= {"pay_in_full_discount_pct", "in_house_terms"}:
            self.bad(path, "must be {pay_in_full_discount_pct, in_house_terms}")
            return {}
        policy = self.policy(dict(value), {"": path + "."})
        return {name: policy[name] for name in value}

    def financing_offers(self, value: object, path: str) -> list[dict[str, Any]]:
        return self.policy({"financing_providers": value}, {"financing_providers": path})["financing_providers"]

    def policy(self, document: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
        """Parse through the payment policy's own rules, reporting its fields under this document's paths."""
        try:
            return PaymentPolicy.from_dict(document).to_dict()
        except InvalidInput as exc:
            for detail in exc.details:
                name = str(detail.get("field", ""))
                prefix = next((old for old in renames if old and name.startswith(old)), "")
                self.bad(renames[prefix] + name[len(prefix):], str(detail.get("message", "")))
            return {name: [] if name != "pay_in_full_discount_pct" else 0 for name in
                    ("pay_in_full_discount_pct", "in_house_terms", "financing_providers")}

    def integer(self, value: object, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.bad(path, f"must be an integer from {low} to {high}")
            return low
        return value
