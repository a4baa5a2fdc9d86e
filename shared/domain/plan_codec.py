"""A plan's JSON form: the contract shape of DESIGN.md section 3 plus the extra fields, which is also how
a plan is stored. Instants are written in the one wire form (`shared.clock.iso`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.clock import iso, parse_instant
from shared.domain.plan_building import as_date, as_procedure
from shared.domain.plans import (
    TOTAL_FIELDS,
    Acceptance,
    Decline,
    DeclineReason,
    Phase,
    Plan,
    PlanStatus,
    Quote,
    Step,
    StepStatus,
    effective_status,
)


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
        signed = plan.acceptance.estimate if plan.acceptance is not None and quote is not None else None
        if signed:
            totals = {name: signed["totals"][name] for name in TOTAL_FIELDS}
        else:
            totals = quote.totals if quote else unknown | {"fee_cents": plan.fee_cents}
    status = effective_status(plan, now) if now is not None else plan.status
    return asdict(plan, dict_factory=_json_object) | {"status": str(status), "totals": dict(totals)}


def _json_object(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    """`asdict` hands every dataclass's already converted fields here: finish them as JSON values."""
    return {name: _json_value(value) for name, value in fields}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
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
                    procedures=tuple(as_procedure(proc) for proc in step["procedures"]),
                    urgent=bool(step.get("urgent", False)),
                )
                for step in phase["steps"]
            ),
            not_before=as_date(phase.get("not_before")),
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
        estimate=json_copy(data["estimate"]) if data.get("estimate") else None,
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
