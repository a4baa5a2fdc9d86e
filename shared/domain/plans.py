"""The treatment plan aggregate: its model, how a plan is built and validated, and its JSON form.

The operations that move a plan through its lifecycle (edit, present, accept, decline, step progress)
are in `shared.domain.plan_lifecycle`; this module holds what they share.

Versioning uses one counter. `version` starts at 1 and grows by one on every change to the plan (an edit,
a presentation, an acceptance, a step scheduled ...): it is the optimistic-concurrency token (ETag,
If-Match); the one exception is recording expiry, which only writes down what the clock already decided.
Presentations are counted separately: each one freezes a numbered `Quote` (1, 2, ...) whose `plan_version`
is the plan's version right after presenting, and the patient signs that number.
`presented_version` is the `plan_version` of the latest quote. A presented plan whose `version` has moved
past `presented_version` was edited after it was presented: no quote covers it until it is presented again.

Partial acceptance: the steps the patient did not accept take the step status `declined` (so a step's
status alone says whether it is to be carried out) and `acceptance.step_ids` names the accepted ones.
Accepted steps stay `pending` until scheduled. Declining a whole plan marks all its steps `declined`.

Instants are timezone-aware datetimes held in UTC and written in the one wire form of `shared.clock.iso`
(UTC, milliseconds, `Z`); money is int cents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.clock import iso, parse_instant, require_utc, to_millis
from shared.errors import InvalidInput, RuleViolation

DEFAULT_VALIDITY_DAYS = 90
MAX_PROCEDURES_PER_PLAN = 200  # every presentation snapshots them: keeps a plan well inside one item
MAX_NAME_CHARS = 200
MAX_NOTES_CHARS = 4000
STEP_ID_PREFIX = "stp_"
TOTAL_FIELDS = ("fee_cents", "writeoff_cents", "insurance_cents", "patient_cents")


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PRESENTED = "presented"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


# Statuses of a plan the patient has signed: its accepted steps are being (or have been) carried out.
COMMITTED_STATUSES = frozenset(
    {
        PlanStatus.ACCEPTED,
        PlanStatus.PARTIALLY_ACCEPTED,
        PlanStatus.SCHEDULED,
        PlanStatus.IN_PROGRESS,
        PlanStatus.COMPLETED,
    }
)


class StepStatus(StrEnum):
    PENDING = "pending"  # not yet answered, or accepted and waiting to be scheduled
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # accepted, then called off
    DECLINED = "declined"  # not accepted by the patient


class DeclineReason(StrEnum):
    COST = "cost"
    INSURANCE = "insurance"
    FEAR = "fear"
    TIME = "time"
    SECOND_OPINION = "second_opinion"
    OTHER = "other"
    ALTERNATIVE_ACCEPTED = "alternative_accepted"  # recorded by the system, never given by a caller


PATIENT_DECLINE_REASONS = frozenset(r for r in DeclineReason if r is not DeclineReason.ALTERNATIVE_ACCEPTED)


class StaleQuote(RuleViolation):
    """The signature names a version other than the one presented and still current (HTTP 412)."""

    code = "stale_quote"


class IllegalTransition(RuleViolation):
    """The operation is not allowed from the plan's current status (HTTP 422)."""

    def __init__(self, operation: str, status: str, allowed_from: Sequence[str], hint: str = "") -> None:
        allowed = ", ".join(allowed_from)
        message = f"plan lifecycle: cannot {operation} a plan that is {status} (allowed from: {allowed})"
        super().__init__(f"{message}; {hint}" if hint else message)
        self.operation = operation
        self.status = status


@dataclass(frozen=True)
class PlannedProcedure:
    code: str
    tooth: str | None
    surfaces: str | None
    fee_cents: int
    category: str


@dataclass(frozen=True)
class Step:
    id: str
    status: StepStatus
    procedures: tuple[PlannedProcedure, ...]


@dataclass(frozen=True)
class Phase:
    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Quote:
    """What was presented, frozen: the procedures, fees and estimate of one plan version."""

    number: int
    plan_version: int
    presented_at: datetime
    expires_at: datetime
    phases: tuple[Phase, ...]
    estimate: Mapping[str, Any]
    totals: Mapping[str, int]


@dataclass(frozen=True)
class Acceptance:
    signer_name: str
    signed_at: datetime
    version: int
    quote_number: int
    step_ids: tuple[str, ...]


@dataclass(frozen=True)
class Decline:
    reason: DeclineReason
    note: str
    declined_at: datetime


@dataclass(frozen=True)
class Plan:
    id: str
    patient_id: str
    location_id: str
    coordinator_id: str  # the owner: `sub` of whoever created the plan
    status: PlanStatus
    version: int
    phases: tuple[Phase, ...]
    created_at: datetime
    updated_at: datetime
    option_group: str | None = None  # alternatives for the same diagnosis share a group id
    option_label: str | None = None
    notes: str = ""
    presented_at: datetime | None = None  # latest presentation; quotes[0] holds the first
    expires_at: datetime | None = None
    presented_version: int | None = None
    quotes: tuple[Quote, ...] = ()
    acceptance: Acceptance | None = None
    decline: Decline | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step, in plan order."""
        return tuple(step for phase in self.phases for step in phase.steps)

    @property
    def procedures(self) -> tuple[PlannedProcedure, ...]:
        """Every procedure, in plan order (the order an estimate is computed in)."""
        return tuple(proc for step in self.steps for proc in step.procedures)

    @property
    def fee_cents(self) -> int:
        return sum(proc.fee_cents for proc in self.procedures)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise InvalidInput(
            f"no step {step_id} in plan {self.id}", [{"field": "step_id", "message": "unknown step"}]
        )

    def covering_quote(self) -> Quote | None:
        """The quote that covers the plan as it stands: the presented one while no edit followed it, the
        signed one once accepted; None for a draft, an edited presented plan, or a declined one."""
        if self.status in COMMITTED_STATUSES and self.acceptance is not None:
            return next(q for q in self.quotes if q.number == self.acceptance.quote_number)
        unedited = self.presented_version == self.version
        if self.status in (PlanStatus.PRESENTED, PlanStatus.EXPIRED) and unedited:
            return self.quotes[-1]
        return None

    def accepted_procedures(self) -> tuple[PlannedProcedure, ...]:
        """Procedures of the steps the patient accepted (cancelled ones left out), in plan order."""
        if self.acceptance is None:
            return ()
        carried_out = (StepStatus.PENDING, StepStatus.SCHEDULED, StepStatus.COMPLETED)
        return tuple(proc for step in self.steps if step.status in carried_out for proc in step.procedures)


def effective_status(plan: Plan, now: datetime) -> PlanStatus:
    """The status a plan reads as at `now`: a presented plan past its expiry reads as expired."""
    now = require_utc(now)
    if plan.status is PlanStatus.PRESENTED and plan.expires_at is not None and now >= plan.expires_at:
        return PlanStatus.EXPIRED
    return plan.status


def new_plan(
    *,
    plan_id: str,
    patient_id: str,
    location_id: str,
    coordinator_id: str,
    phases: Sequence[Mapping[str, Any]],
    now: datetime,
    id_factory: Callable[[], str],
    option_group: str | None = None,
    option_label: str | None = None,
    notes: str = "",
) -> Plan:
    """A draft plan at version 1. `phases` is `[{name, steps: [{procedures: [...]}]}]` whose procedures
    are PlannedProcedure or mappings of its fields, already checked against the catalog."""
    now = to_millis(now)
    details = [
        *text_problems("option_group", option_group, MAX_NAME_CHARS, optional=True),
        *text_problems("option_label", option_label, MAX_NAME_CHARS, optional=True),
        *text_problems("notes", notes, MAX_NOTES_CHARS, optional=False, blank_ok=True),
    ]
    built = build_phases(phases, id_factory=id_factory, prior_problems=details)
    return Plan(
        id=plan_id,
        patient_id=patient_id,
        location_id=location_id,
        coordinator_id=coordinator_id,
        status=PlanStatus.DRAFT,
        version=1,
        phases=built,
        created_at=now,
        updated_at=now,
        option_group=option_group,
        option_label=option_label,
        notes=notes,
    )


def build_phases(
    raw: Sequence[Mapping[str, Any]],
    *,
    id_factory: Callable[[], str] | None,
    existing_steps: Mapping[str, Step] | None = None,
    prior_problems: Sequence[Mapping[str, str]] = (),
) -> tuple[Phase, ...]:
    """Validate the phase/step/procedure structure and build it, reporting every problem at once.

    A step given with an `id` must be one of `existing_steps` and keeps its status; a step without one
    is new, pending, and gets its id from `id_factory`."""
    existing_steps = existing_steps or {}
    problems = list(prior_problems)
    if not _is_list(raw) or not raw:
        raise InvalidInput("invalid plan", [*problems, _problem("phases", "a plan needs at least one phase")])
    seen_ids: set[str] = set()
    procedure_count = 0
    for p, phase in enumerate(raw):
        where = f"phases[{p}]"
        if not isinstance(phase, Mapping):
            problems.append(_problem(where, "must be an object"))
            continue
        problems += text_problems(f"{where}.name", phase.get("name"), MAX_NAME_CHARS, optional=False)
        steps = phase.get("steps")
        if not _is_list(steps) or not steps:
            problems.append(_problem(f"{where}.steps", "a phase needs at least one step"))
            continue
        for s, step in enumerate(steps):
            step_where = f"{where}.steps[{s}]"
            if not isinstance(step, Mapping):
                problems.append(_problem(step_where, "must be an object"))
                continue
            step_id = step.get("id")
            if step_id is not None:
                if not isinstance(step_id, str) or step_id not in existing_steps:
                    problems.append(_problem(f"{step_where}.id", "not a step of this plan"))
                elif step_id in seen_ids:
                    problems.append(_problem(f"{step_where}.id", "appears more than once"))
                else:
                    seen_ids.add(step_id)
            procedures = step.get("procedures")
            if not _is_list(procedures) or not procedures:
                problems.append(_problem(f"{step_where}.procedures", "a step needs at least one procedure"))
                continue
            procedure_count += len(procedures)
            for i, proc in enumerate(procedures):
                problems += _procedure_problems(f"{step_where}.procedures[{i}]", proc)
    if procedure_count > MAX_PROCEDURES_PER_PLAN:
        problems.append(_problem("phases", f"a plan holds at most {MAX_PROCEDURES_PER_PLAN} procedures"))
    if problems:
        raise InvalidInput("invalid plan", problems)
    taken_ids = seen_ids | set(existing_steps)  # a removed step's id is never given to a new one
    return tuple(
        Phase(
            name=phase["name"],
            steps=tuple(_build_step(step, existing_steps, id_factory, taken_ids) for step in phase["steps"]),
        )
        for phase in raw
    )


def _build_step(
    raw: Mapping[str, Any],
    existing_steps: Mapping[str, Step],
    id_factory: Callable[[], str] | None,
    taken_ids: set[str],
) -> Step:
    procedures = tuple(_as_procedure(proc) for proc in raw["procedures"])
    if raw.get("id") is not None:
        return Step(id=raw["id"], status=existing_steps[raw["id"]].status, procedures=procedures)
    if id_factory is None:
        raise ValueError("new steps need an id_factory")
    step_id = id_factory()
    if not isinstance(step_id, str) or not step_id.startswith(STEP_ID_PREFIX) or step_id in taken_ids:
        raise ValueError(f"id_factory must give fresh {STEP_ID_PREFIX}... ids, gave {step_id!r}")
    taken_ids.add(step_id)
    return Step(id=step_id, status=StepStatus.PENDING, procedures=procedures)


def _procedure_problems(where: str, proc: object) -> list[dict[str, str]]:
    if isinstance(proc, PlannedProcedure):
        fields: Mapping[str, Any] = proc.__dict__
    elif isinstance(proc, Mapping):
        fields = proc
    else:
        return [_problem(where, "must be an object")]
    problems = [
        *text_problems(f"{where}.code", fields.get("code"), 20, optional=False),
        *text_problems(f"{where}.category", fields.get("category"), 40, optional=False),
        *text_problems(f"{where}.tooth", fields.get("tooth"), 10, optional=True),
        *text_problems(f"{where}.surfaces", fields.get("surfaces"), 10, optional=True, blank_ok=True),
    ]
    fee = fields.get("fee_cents")
    if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
        problems.append(_problem(f"{where}.fee_cents", "must be a non-negative integer number of cents"))
    return problems


def _as_procedure(proc: PlannedProcedure | Mapping[str, Any]) -> PlannedProcedure:
    if isinstance(proc, PlannedProcedure):
        return proc
    return PlannedProcedure(
        code=proc["code"],
        tooth=proc.get("tooth"),
        surfaces=proc.get("surfaces"),
        fee_cents=proc["fee_cents"],
        category=proc["category"],
    )


def text_problems(
    field: str, value: object, max_chars: int, *, optional: bool, blank_ok: bool = False
) -> list[dict[str, str]]:
    """InvalidInput details for a text field: required unless `optional`, non-blank unless `blank_ok`."""
    if value is None:
        return [] if optional else [_problem(field, "is required")]
    if not isinstance(value, str):
        return [_problem(field, "must be a string")]
    if not blank_ok and not value.strip():
        return [_problem(field, "must not be blank")]
    if len(value) > max_chars:
        return [_problem(field, f"must be at most {max_chars} characters")]
    return []


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


# ---- JSON form --------------------------------------------------------------------------------------


def to_dict(
    plan: Plan, *, now: datetime | None = None, totals: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The plan as JSON-ready data (the contract shape of DESIGN.md section 3 plus the extra fields).

    With `now`, `status` is the effective status (an overdue presented plan reads as expired). `totals`
    defaults to those of the covering quote; without one (a draft, an edited presented plan) only
    `fee_cents` is known, unless the caller passes totals from a fresh estimate."""
    if totals is None:
        quote = plan.covering_quote()
        unknown = {name: None for name in TOTAL_FIELDS}
        totals = quote.totals if quote else unknown | {"fee_cents": plan.fee_cents}
    status = effective_status(plan, now) if now is not None else plan.status
    return asdict(plan, dict_factory=_json_object) | {"status": str(status), "totals": dict(totals)}


def _json_object(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    """`asdict` hands every dataclass's already converted fields here: finish them as JSON values."""
    return {name: _json_value(value) for name, value in fields}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    return value


def from_dict(data: Mapping[str, Any]) -> Plan:
    """Rebuild a plan from `to_dict` output (derived fields such as `totals` are ignored)."""
    acceptance = data.get("acceptance")
    decline = data.get("decline")
    return Plan(
        id=data["id"],
        patient_id=data["patient_id"],
        location_id=data["location_id"],
        coordinator_id=data["coordinator_id"],
        status=PlanStatus(data["status"]),
        version=data["version"],
        phases=_phases_from_list(data["phases"]),
        created_at=parse_instant(data["created_at"]),
        updated_at=parse_instant(data["updated_at"]),
        option_group=data.get("option_group"),
        option_label=data.get("option_label"),
        notes=data.get("notes", ""),
        presented_at=_optional_parse(data.get("presented_at")),
        expires_at=_optional_parse(data.get("expires_at")),
        presented_version=data.get("presented_version"),
        quotes=tuple(_quote_from_dict(q) for q in data.get("quotes", ())),
        acceptance=_acceptance_from_dict(acceptance) if acceptance else None,
        decline=_decline_from_dict(decline) if decline else None,
    )


def _phases_from_list(data: Sequence[Mapping[str, Any]]) -> tuple[Phase, ...]:
    return tuple(
        Phase(
            name=phase["name"],
            steps=tuple(
                Step(
                    id=step["id"],
                    status=StepStatus(step["status"]),
                    procedures=tuple(_as_procedure(proc) for proc in step["procedures"]),
                )
                for step in phase["steps"]
            ),
        )
        for phase in data
    )


def _quote_from_dict(data: Mapping[str, Any]) -> Quote:
    return Quote(
        number=data["number"],
        plan_version=data["plan_version"],
        presented_at=parse_instant(data["presented_at"]),
        expires_at=parse_instant(data["expires_at"]),
        phases=_phases_from_list(data["phases"]),
        estimate=json_copy(data["estimate"]),
        totals=dict(data["totals"]),
    )


def _acceptance_from_dict(data: Mapping[str, Any]) -> Acceptance:
    return Acceptance(
        signer_name=data["signer_name"],
        signed_at=parse_instant(data["signed_at"]),
        version=data["version"],
        quote_number=data["quote_number"],
        step_ids=tuple(data["step_ids"]),
    )


def _decline_from_dict(data: Mapping[str, Any]) -> Decline:
    return Decline(
        reason=DeclineReason(data["reason"]),
        note=data["note"],
        declined_at=parse_instant(data["declined_at"]),
    )


def _optional_parse(text: str | None) -> datetime | None:
    return parse_instant(text) if text is not None else None


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), so a frozen quote shares nothing."""
    if isinstance(value, Mapping):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(item) for item in value]
    return value
