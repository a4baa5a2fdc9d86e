"""A plan's JSON form: the contract shape of DESIGN.md section 3 plus the extra fields, which is also how
a plan is stored. Instants are written in the one wire form (`shared.clock.iso`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.domain.codec import from_json, to_json
from shared.domain.plans import (
    TOTAL_FIELDS,
    Plan,
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
    return to_json(plan) | {"status": str(status), "totals": dict(totals)}


def from_dict(data: Mapping[str, Any]) -> Plan:
    """Rebuild a plan from `to_dict` output (derived fields such as `totals` are ignored)."""
    return from_json(Plan, data)
