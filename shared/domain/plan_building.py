"""How a plan is built from what a caller sent: the phase/step/procedure structure and its text fields,
validated with every problem reported at once (InvalidInput details), and fresh step ids."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from shared.clock import to_millis
from shared.domain.plans import (
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    MAX_PROCEDURES_PER_PLAN,
    STEP_ID_PREFIX,
    Phase,
    Plan,
    PlannedProcedure,
    PlanStatus,
    Step,
    StepStatus,
)
from shared.errors import InvalidInput


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
        if not _is_date(phase.get("not_before")):
            problems.append(_problem(f"{where}.not_before", "must be a date YYYY-MM-DD or null"))
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
            if not isinstance(step.get("urgent", False), bool):
                problems.append(_problem(f"{step_where}.urgent", "must be true or false"))
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
            not_before=as_date(phase.get("not_before")),
        )
        for phase in raw
    )


def _build_step(
    raw: Mapping[str, Any],
    existing_steps: Mapping[str, Step],
    id_factory: Callable[[], str] | None,
    taken_ids: set[str],
) -> Step:
    procedures = tuple(as_procedure(proc) for proc in raw["procedures"])
    urgent = bool(raw.get("urgent", False))
    if raw.get("id") is not None:
        return Step(id=raw["id"], status=existing_steps[raw["id"]].status, procedures=procedures, urgent=urgent)
    if id_factory is None:
        raise ValueError("new steps need an id_factory")
    step_id = id_factory()
    if not isinstance(step_id, str) or not step_id.startswith(STEP_ID_PREFIX) or step_id in taken_ids:
        raise ValueError(f"id_factory must give fresh {STEP_ID_PREFIX}... ids, gave {step_id!r}")
    taken_ids.add(step_id)
    return Step(id=step_id, status=StepStatus.PENDING, procedures=procedures, urgent=urgent)


def _is_date(value: object) -> bool:
    if value is None or isinstance(value, date):
        return True
    try:
        date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def as_date(value: object) -> date | None:
    """A phase's `not_before` as stored or sent (ISO text) or built (a date)."""
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


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


def as_procedure(proc: PlannedProcedure | Mapping[str, Any]) -> PlannedProcedure:
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
