"""Third-party financing applications and insurance claims: records with their own lifecycles, whose
money posts to the ledger exactly once.

Financing (`fin_`): applied -> approved | declined | cancelled | funded; approved -> funded. The first of
approved or funded records the provider's payment (method `financing`, the approved amount) and its
ledger entry `led_{financing_id}_payment` in the same transaction as the status change. Approval is when
the practice charges the financing (the provider then owes the practice, not the patient), so funding
afterwards posts nothing more; a cancelled treatment is refunded through the payment.

Claims (`clm_`), kind `claim`: submitted -> paid | denied | closed; denied -> submitted (appeal) | closed.
Kind `predetermination` (an insurer's estimate, never money): submitted -> approved | denied | closed;
approved | denied -> closed.
- A claim is filed with one coverage (`rank`, default 1; its expected amount defaults to what that
  coverage's share of the signed estimate lines of its steps). Its usage entry (shared/store/benefits.py)
  books the expected amount as pending in the benefit year of its service date while submitted; paid, it
  books what the insurer paid, spread over its lines: orthodontics to the lifetime maximum, the rest to
  the annual maximum, and the deductibles those lines applied as met; leaving submitted unpaid releases it.
- Paid: the insurer's payment (method `insurance`), its ledger entry `led_{claim_id}_insurance_payment`,
  an insurance shortfall `led_{claim_id}_shortfall` when it paid less than expected, and the usage entry,
  all in one transaction with the claim.
- Closing a denied claim moves its expected amount to the patient (the same shortfall entry).
Every PATCH needs If-Match; the same PATCH twice is 412 the second time, and the deterministic ledger ids
refuse a double posting even between racing requests.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain import claim_lifecycle, financing_lifecycle
from shared.domain.benefits.usage import expected_of
from shared.domain.ledger import AdjustmentType, EntryKind, LedgerEntry, Party
from shared.domain.payment_options import financing_label
from shared.errors import InvalidInput, RuleViolation
from shared.ids import new_id
from shared.services import benefits, kpis, ledger, locations, payments, plans
from shared.services.documents import require_version, view
from shared.services.payment_plans import local_today, policy_of
from shared.services.visibility import Kind, get_visible
from shared.store import benefits as benefit_store
from shared.store import financing as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork


def _history(doc: dict[str, Any], status: str, actor: str, at: str) -> list[dict[str, str]]:
    history = list(doc.get("history", []))
    if not history or history[-1]["status"] != status:
        history.append({"status": status, "at": at, "by": actor})
    return history


# --- financing --------------------------------------------------------------------------------------


def load_financing(principal: Principal, financing_id: str) -> Record:
    return get_visible(principal, Kind.FINANCING, financing_id)


def apply(principal: Principal, plan_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`POST /plans/{plan_id}/financing`: record an application to a provider the location offers."""
    plan = plans.load(principal, plan_id)
    policy = policy_of(principal.org, locations.load(principal.org, plan.location_id))
    provider = next((p for p in policy.financing_providers if p.id == fields["provider"]), None)
    if provider is None:
        offered = ", ".join(p.id for p in policy.financing_providers) or "none"
        raise RuleViolation(f"financing: provider {fields['provider']!r} is not offered here (offered: {offered})")
    months = fields.get("months")
    candidates = [o for o in provider.offers if months is None or o.months == months]
    if months is None and len(candidates) > 1:
        raise InvalidInput("choose one of the provider's offers", [{"field": "months", "message": "required: one of "
                           + ", ".join(str(o.months) for o in provider.offers)}])
    if not candidates:
        raise RuleViolation(f"financing: {provider.name} has no {months}-month offer")
    offer = candidates[0]
    if fields["amount_cents"] < offer.min_amount_cents:
        raise RuleViolation(f"financing: this offer needs at least {offer.min_amount_cents} cents")
    stamp = clock.now_iso()
    doc = {"id": new_id("fin"), "plan_id": plan.id, "patient_id": plan.patient_id, "location_id": plan.location_id,
           "provider": provider.id, "provider_name": provider.name,
           "offer": {**offer.to_dict(), "label": financing_label(offer)}, "amount_cents": fields["amount_cents"],
           "approved_cents": None, "status": "applied", "reference": fields.get("reference"),
           "note": fields.get("note") or "", "payment_id": None, "created_at": stamp, "updated_at": stamp,
           "history": [{"status": "applied", "at": stamp, "by": principal.sub}]}
    uow = UnitOfWork()
    record = store.put_financing(uow, principal.org, doc, None)
    uow.commit()
    return view(record)


def update_financing(principal: Principal, financing_id: str, changes: dict[str, Any],
                     expected_version: int) -> dict[str, Any]:
    """`PATCH /financing/{financing_id}`: move its status (posting once on approval or funding)."""
    record = require_version(load_financing(principal, financing_id), expected_version)
    doc = record.data()
    status = financing_lifecycle.next_status(doc["status"], changes.get("status"))
    posts = financing_lifecycle.posts_payment(doc["status"], status)
    if changes.get("approved_cents") is not None and not posts:
        raise RuleViolation("financing: approved_cents is set only when the application is approved or funded")
    approved = changes.get("approved_cents") or doc["amount_cents"]
    if approved > doc["amount_cents"]:
        raise RuleViolation("financing: approved_cents is what is charged to the financing; it cannot exceed the "
                            "amount applied for")
    stamp = clock.now_iso()
    updated = {**doc, "status": status, "updated_at": stamp, "history": _history(doc, status, principal.sub, stamp),
               **{k: changes[k] for k in ("reference", "note") if changes.get(k) is not None}}
    uow = UnitOfWork()
    version = int(record.version)
    if status == "funded" and doc["status"] != "funded":
        tz = locations.load(principal.org, doc["location_id"]).timezone
        day = clock.local_date(clock.now(), tz)
        kpis.add_financing_funded(uow, principal.org, doc["location_id"], day)
    if posts:
        plan = plans.load(principal, doc["plan_id"])
        payment = payments.new_payment(plan, amount_cents=approved, method="financing",
                                       reference=updated["reference"], created_by=principal.sub,
                                       financing_id=doc["id"], note=f"{doc['provider_name']} financing")
        entry = LedgerEntry(f"led_{doc['id']}_payment", EntryKind.PAYMENT, approved, Party.PATIENT,
                            payment["created_at"], plan_id=plan.id, payment_id=payment["id"])
        updated.update(approved_cents=approved, payment_id=payment["id"])
        store.put_financing(uow, principal.org, updated, version)
        payments.post_payment(uow, principal.org, payment, entry)
        payments.collected(principal.org, payment)(uow)
    else:
        store.put_financing(uow, principal.org, updated, version)
    uow.commit()
    return {**updated, "version": version + 1}


# --- claims -----------------------------------------------------------------------------------------


def load_claim(principal: Principal, claim_id: str) -> Record:
    return get_visible(principal, Kind.CLAIM, claim_id)


def _claim_lines(plan: Any, step_ids: Any) -> list[dict[str, Any]]:
    """The signed (or quoted) estimate lines of the claimed steps: what the claim books usage over."""
    wanted = set(step_ids)
    return [line for line in ledger.quote_lines(plan) if line["line_id"] in wanted]


def _book_usage(uow: UnitOfWork, principal: Principal, claim: dict[str, Any]) -> None:
    """A claim's usage entry against its coverage: pending while submitted (expected), paid (what the insurer
    paid), released otherwise. Predeterminations are never money and book nothing."""
    if claim["kind"] != "claim":
        return
    status = {"submitted": "pending", "paid": "paid"}.get(claim["status"], benefits.RELEASED)
    amount = claim["paid_cents"] if status == "paid" else claim["expected_cents"]
    lines = _claim_lines(plans.load(principal, claim["plan_id"]), claim["step_ids"])
    benefits.book_claim(uow, principal.org, claim, lines, status, amount)


def file_claim(principal: Principal, plan_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`POST /plans/{plan_id}/claims`: record a claim or predetermination sent to the patient's insurer."""
    plan = plans.load(principal, plan_id)
    rank = fields.get("rank") or 1
    if rank not in benefit_store.coverages(principal.org, plan.patient_id, consistent=True):
        raise RuleViolation("claims: the patient has no coverage on file" + (f" of rank {rank}" if rank > 1 else ""))
    portion = ledger.portions(plan, fields.get("step_ids"))
    today = local_today(locations.load(principal.org, plan.location_id))
    service_date = fields.get("service_date") or today.isoformat()
    if date.fromisoformat(service_date) > today:
        raise InvalidInput("the service date cannot be in the future", [{"field": "service_date"}])
    lines = _claim_lines(plan, portion.step_ids)
    expected = expected_of(lines, rank) if fields.get("expected_cents") is None else fields["expected_cents"]
    held = expected if fields["kind"] == "claim" else 0
    stamp = clock.now_iso()
    doc = {"id": new_id("clm"), "kind": fields["kind"], "plan_id": plan.id, "patient_id": plan.patient_id,
           "location_id": plan.location_id, "step_ids": list(portion.step_ids), "rank": rank,
           "expected_cents": expected,
           "paid_cents": 0, "status": "submitted", "service_date": service_date, "reference": fields.get("reference"),
           "note": fields.get("note") or "", "pending_held_cents": held, "payment_id": None, "created_at": stamp,
           "updated_at": stamp, "history": [{"status": "submitted", "at": stamp, "by": principal.sub}]}
    uow = UnitOfWork()
    store.put_claim(uow, principal.org, doc, None)
    _book_usage(uow, principal, doc)
    uow.commit()
    return {**doc, "version": 1}


def update_claim(principal: Principal, claim_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    """`PATCH /claims/{claim_id}`: move its status; paid posts the insurer's payment once."""
    record = require_version(load_claim(principal, claim_id), expected_version)
    doc = record.data()
    status = claim_lifecycle.next_status(doc["kind"], doc["status"], changes.get("status"))
    moved = status != doc["status"]
    if changes.get("paid_cents") is not None and not (moved and status == "paid"):
        raise RuleViolation("claims: paid_cents is given when the claim is marked paid")
    if moved and status == "paid" and not changes.get("paid_cents"):
        raise RuleViolation("claims: a paid claim needs paid_cents above 0 (a claim that pays nothing is denied)")
    if changes.get("expected_cents") is not None and not claim_lifecycle.is_open(doc["status"]):
        raise RuleViolation("claims: the expected amount changes only while the claim is open")
    stamp = clock.now_iso()
    updated = {**doc, "status": status, "updated_at": stamp, "history": _history(doc, status, principal.sub, stamp),
               **{k: changes[k] for k in ("reference", "note", "expected_cents") if changes.get(k) is not None}}
    held = updated["expected_cents"] if doc["kind"] == "claim" and status == "submitted" else 0
    updated["pending_held_cents"] = held
    if moved and status == "paid":
        updated["paid_cents"] = changes["paid_cents"]
    version = int(record.version)
    payment = _insurer_payment(principal, doc, updated) if moved and status == "paid" else None
    updated["payment_id"] = payment["id"] if payment else doc.get("payment_id")
    uow = UnitOfWork()
    store.put_claim(uow, principal.org, updated, version)
    _claim_postings(uow, principal.org, doc, updated, moved, stamp, payment)
    if moved or updated["expected_cents"] != doc["expected_cents"]:
        _book_usage(uow, principal, updated)
    uow.commit()
    return {**updated, "version": version + 1}


def _insurer_payment(principal: Principal, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | None:
    """The insurer's payment of a claim marked paid (None for a predetermination, which is never money)."""
    if before["kind"] != "claim":
        return None
    plan = plans.load(principal, before["plan_id"])
    return payments.new_payment(plan, amount_cents=after["paid_cents"], method=payments.INSURANCE,
                                reference=after["reference"], created_by=principal.sub, claim_id=before["id"],
                                note="insurance claim payment")


def _claim_postings(uow: UnitOfWork, org: str, before: dict[str, Any], after: dict[str, Any], moved: bool,
                    stamp: str, payment: dict[str, Any] | None) -> int:
    """Add the ledger (and payment, and collections) writes of a claim's move to the unit of work; returns
    what the insurer paid."""
    plan_id, claim_id = before["plan_id"], before["id"]
    if not moved or before["kind"] != "claim":
        return 0
    if after["status"] == "paid" and payment is not None:
        paid = after["paid_cents"]
        entry = LedgerEntry(f"led_{claim_id}_insurance_payment", EntryKind.INSURANCE_PAYMENT, paid, Party.INSURANCE,
                            payment["created_at"], plan_id=plan_id, payment_id=payment["id"], claim_id=claim_id)
        payments.post_payment(uow, org, payment, entry)
        payments.collected(org, payment)(uow)
        shortfall = after["expected_cents"] - paid
    elif after["status"] == "closed" and before["status"] == "denied":
        paid, shortfall = 0, after["expected_cents"]
    else:
        return 0
    if shortfall > 0:
        ledger.post_entry(uow, org, plan_id, LedgerEntry(
            f"led_{claim_id}_shortfall", EntryKind.ADJUSTMENT, shortfall, Party.PATIENT, stamp,
            AdjustmentType.INSURANCE_SHORTFALL, plan_id=plan_id, claim_id=claim_id,
            memo="expected insurance not paid: moved to the patient"))
    return paid
