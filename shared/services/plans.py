"""Treatment plans: pricing from the catalog and fee schedule, estimates, and the plan lifecycle.

The domain (shared/domain/plans.py, plan_lifecycle.py, estimate.py) decides; this module loads what it
needs, prices procedures, and stores the outcome conditionally on the version it read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain import catalog, plan_building, plan_codec, plan_lifecycle
from shared.domain import plans as plan_model
from shared.domain.benefits.engine import Estimate
from shared.domain.plans import Plan, PlanStatus
from shared.errors import InvalidInput, RuleViolation, StaleVersion
from shared.ids import new_id
from shared.services import benefits, kpis, locations, patients
from shared.services.visibility import Kind, get_visible, visible
from shared.store import plans as plan_store
from shared.store.unit_of_work import UnitOfWork


def load(principal: Principal, plan_id: str) -> Plan:
    """The plan if it is in the caller's group and in a location the caller may see; 404 otherwise."""
    return get_visible(principal, Kind.PLAN, plan_id)


def _new_step_id() -> str:
    return new_id("stp")


def price_phases(raw_phases: Sequence[Mapping[str, Any]], fee_schedule: Mapping[str, int]) -> list[dict[str, Any]]:
    """Validate each procedure against the catalog and give it a fee (request, else fee schedule, else
    catalog default) and its coverage category. Reports every bad procedure at once, by path."""
    problems: list[dict[str, Any]] = []
    priced_phases = []
    for p, phase in enumerate(raw_phases):
        steps = []
        for s, step in enumerate(phase["steps"]):
            procedures = []
            for i, proc in enumerate(step["procedures"]):
                where = f"phases[{p}].steps[{s}].procedures[{i}]"
                try:
                    code = catalog.normalize_code(proc["code"])
                    tooth, surfaces = catalog.validate_procedure(code, proc.get("tooth"), proc.get("surfaces"))
                    fee = proc.get("fee_cents")
                    fee = catalog.fee_for(code, fee_schedule) if fee is None else fee
                except InvalidInput as error:
                    problems += [{**d, "field": f"{where}.{d.get('field', 'code')}"} for d in error.details]
                    continue
                procedures.append({"code": code, "tooth": tooth, "surfaces": surfaces, "fee_cents": fee,
                                   "category": catalog.category_for(code).value})
            steps.append({**({"id": step["id"]} if step.get("id") else {}), "procedures": procedures,
                          "urgent": bool(step.get("urgent", False))})
        priced_phases.append({"name": phase["name"], "steps": steps, "not_before": phase.get("not_before")})
    if problems:
        raise InvalidInput("invalid procedures", problems)
    return priced_phases


def estimate_of(org: str, plan: Plan, step_ids: Sequence[str] | None = None) -> Estimate:
    """A fresh estimate of the plan (or of `step_ids` alone) by the benefits engine, both coverages."""
    return benefits.estimate_plan(org, plan, step_ids)


def render(org: str, plan: Plan) -> dict[str, Any]:
    """The plan as the API shows it: frozen totals when a quote covers it, a fresh estimate otherwise."""
    totals = None
    if plan.covering_quote() is None:
        fresh = estimate_of(org, plan).to_dict()["totals"]
        totals = {name: fresh[name] for name in plan_model.TOTAL_FIELDS}
    return plan_codec.to_dict(plan, now=clock.now(), totals=totals)


def _timezones(org: str, plans: Sequence[Plan]) -> dict[str, str]:
    """The time zone of each plan's location: KPI counters are kept by the location's local date."""
    return {location_id: locations.load(org, location_id).timezone
            for location_id in {plan.location_id for plan in plans}}


def _commit_with_kpis(org: str, changes: Sequence[tuple[Plan, Plan]],
                      extra: Callable[[UnitOfWork], None] | None = None) -> None:
    """Store each (plan as read, plan changed) with the KPI counters the changes move, and `extra` writes
    (a signature), in one transaction."""
    timezones = _timezones(org, [after for _, after in changes])
    uow = UnitOfWork()
    for before, after in changes:
        plan_store.put(uow, org, after, before.version)
    kpis.kpi_writes_for_plan_changes(org, changes, timezones)(uow)
    if extra:
        extra(uow)
    uow.commit()


def _fee_schedule(principal: Principal, location_id: str) -> Mapping[str, int]:
    return locations.load_visible(principal, location_id).fee_schedule


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    patient = patients.load(principal, fields["patient_id"])
    location_id = fields.get("location_id") or patient.location_id
    phases = price_phases(fields["phases"], _fee_schedule(principal, location_id))
    changes: list[tuple[Plan, int | None]] = []
    option_group = None
    if fields.get("alternative_to"):
        original = load(principal, fields["alternative_to"])
        if original.patient_id != patient.id:
            raise RuleViolation("alternatives: an option must be for the same patient as the plan it replaces")
        option_group = original.option_group or original.id
        if original.option_group is None:  # the first alternative makes the original the group's anchor
            changes.append((dataclasses.replace(original, option_group=option_group), original.version))
    plan = plan_building.new_plan(
        plan_id=new_id("pln"), patient_id=patient.id, location_id=location_id, coordinator_id=principal.sub,
        phases=phases, now=clock.now(), id_factory=_new_step_id, option_group=option_group,
        option_label=fields.get("option_label"), notes=fields.get("notes") or "")
    uow = UnitOfWork()
    for each, read_version in [(plan, None), *changes]:
        plan_store.put(uow, principal.org, each, read_version)
    uow.commit()
    return render(principal.org, plan)


def get(principal: Principal, plan_id: str) -> dict[str, Any]:
    return render(principal.org, load(principal, plan_id))


def plan_estimate(principal: Principal, plan_id: str, fresh: bool = False) -> dict[str, Any]:
    """The signed figures once accepted, the quote's while one covers the plan, else (or with `fresh`) a
    fresh estimate: appointment dates, history and usage as they are now."""
    plan = load(principal, plan_id)
    quote = plan.covering_quote()
    signed = plan.signed_estimate()
    if quote is not None and signed is not None and not fresh:
        return {"plan_id": plan.id, "version": plan.version, "frozen": True, "quote_number": quote.number,
                **signed}
    return {"plan_id": plan.id, "version": plan.version, "frozen": False, "quote_number": None,
            **estimate_of(principal.org, plan).to_dict()}


def edit(principal: Principal, plan_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    plan = load(principal, plan_id)
    if plan.version != expected_version:
        raise StaleVersion(f"plan was changed since you read it (current version {plan.version})")
    phases = None
    if changes.get("phases") is not None:
        phases = price_phases(changes["phases"], _fee_schedule(principal, plan.location_id))
    edited = plan_lifecycle.edit(plan, now=clock.now(), phases=phases, notes=changes.get("notes"),
                                 option_label=changes.get("option_label"), id_factory=_new_step_id)
    if edited is not plan:
        uow = UnitOfWork()
        plan_store.put(uow, principal.org, edited, plan.version)
        uow.commit()
    return render(principal.org, edited)


def present(principal: Principal, plan_id: str, validity_days: int) -> dict[str, Any]:
    plan = load(principal, plan_id)
    snapshot = estimate_of(principal.org, plan).to_dict()
    presented = plan_lifecycle.present(plan, estimate=snapshot, now=clock.now(), validity_days=validity_days)
    _commit_with_kpis(principal.org, [(plan, presented)])
    return render(principal.org, presented)


def accept(principal: Principal, plan_id: str, signer_name: str, version: int,
           step_ids: list[str] | None, extra: Callable[[UnitOfWork], None] | None = None) -> dict[str, Any]:
    """Sign the presented version; accepting one option declines the other options of its group. `extra`
    adds writes to the same transaction (the patient's signature and its link)."""
    plan = load(principal, plan_id)
    now = clock.now()
    signed = estimate_of(principal.org, plan, step_ids or [step.id for step in plan.steps]).to_dict()
    accepted = plan_lifecycle.accept(plan, signer_name=signer_name, signed_version=version, now=now,
                                     step_ids=step_ids, signed_estimate=signed)
    changes: list[tuple[Plan, Plan]] = [(plan, accepted)]
    if plan.option_group:
        group = [p for p in plan_store.in_option_group(principal.org, plan.option_group) if p.id != plan.id]
        originals = {p.id: p for p in group}
        for declined in plan_lifecycle.decline_alternatives([accepted, *group], accepted.id, now=now):
            changes.append((originals[declined.id], declined))
    _commit_with_kpis(principal.org, changes, extra)
    return render(principal.org, accepted)


def decline(principal: Principal, plan_id: str, reason: str, note: str) -> dict[str, Any]:
    plan = load(principal, plan_id)
    declined = plan_lifecycle.decline(plan, reason=reason, now=clock.now(), note=note)
    _commit_with_kpis(principal.org, [(plan, declined)])
    return render(principal.org, declined)


def list_plans(principal: Principal, patient_id: str | None, location_id: str | None, status: str | None,
               limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """Plans of a patient, or of a location (optionally by status). Status is the effective one: a
    presented plan past its expiry is listed as expired, not as presented."""
    if bool(patient_id) == bool(location_id):
        raise InvalidInput("give exactly one of patient_id or location_id",
                           [{"field": "patient_id"}, {"field": "location_id"}])
    stored_status = PlanStatus.PRESENTED.value if status == PlanStatus.EXPIRED.value else status
    if patient_id:
        patients.load(principal, patient_id)
        page = plan_store.page_for_patient(principal.org, patient_id, limit, start_key)
    else:
        locations.load_visible(principal, location_id)
        page = plan_store.page_for_location(principal.org, location_id, stored_status, limit, start_key)
    items = [render(principal.org, plan_store.from_record(record)) for record in page.records]
    shown = visible(principal, items)
    if status:
        shown = [item for item in shown if item["status"] == status]
    return shown, page.last_key


def procedures(principal: Principal, q: str, location_id: str | None, limit: int) -> list[dict[str, Any]]:
    fee_schedule = _fee_schedule(principal, location_id) if location_id else {}
    return [entry.to_dict(fee_schedule) for entry in catalog.search(q, limit=limit)]
