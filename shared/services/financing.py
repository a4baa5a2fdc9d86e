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

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain import claim_lifecycle, financing_lifecycle
from shared.domain.benefits.usage import expected_of
from shared.domain.claim_lifecycle import ClaimKind, ClaimStatus, InsuranceClaim
from shared.domain.codec import to_json
from shared.domain.financing_lifecycle import AppliedOffer, FinancingApplication, FinancingStatus
from shared.domain.ledger import AdjustmentType, EntryKind, LedgerEntry, Party
from shared.domain.lifecycle import with_change
from shared.domain.payment_options import financing_label
from shared.domain.payments import Payment, PaymentMethod
from shared.domain.plans import Plan
from shared.errors import InvalidInput, RuleViolation
from shared.ids import new_id
from shared.services import benefits, kpis, ledger, locations, payments, plans
from shared.services.documents import check_version
from shared.services.payment_plans import local_today, policy_of
from shared.services.visibility import Kind, get_visible
from shared.store import benefits as benefit_store
from shared.store import financing as store
from shared.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.commands.payments import ClaimCreate, ClaimPatch, FinancingCreate, FinancingPatch


def view(record: FinancingApplication | InsuranceClaim) -> dict[str, Any]:
    """A financing application or a claim as the API shows it, with its version."""
    return to_json(record)


def _remarks(patch: FinancingPatch | ClaimPatch, current: FinancingApplication | InsuranceClaim) -> dict[str, Any]:
    """The reference and note a PATCH leaves: each as sent, null removing it; as they were when not sent."""
    reference = patch.reference if patch.sent("reference") else current.reference
    note = (patch.note or "") if patch.sent("note") else current.note
    return {"reference": reference, "note": note}


# --- financing --------------------------------------------------------------------------------------


def load_financing(principal: Principal, financing_id: str) -> FinancingApplication:
    return get_visible(principal, Kind.FINANCING, financing_id)


def apply(principal: Principal, plan_id: str, command: FinancingCreate) -> FinancingApplication:
    """`POST /plans/{plan_id}/financing`: record an application to a provider the location offers."""
    plan = plans.load(principal, plan_id)
    policy = policy_of(principal.org, locations.load(principal.org, plan.location_id))
    provider = next((p for p in policy.financing_providers if p.id == command.provider), None)
    if provider is None:
        offered = ", ".join(p.id for p in policy.financing_providers) or "none"
        raise RuleViolation(f"financing: provider {command.provider!r} is not offered here (offered: {offered})")
    months = command.months
    candidates = [o for o in provider.offers if months is None or o.months == months]
    if months is None and len(candidates) > 1:
        raise InvalidInput("choose one of the provider's offers", [{"field": "months", "message": "required: one of "
                           + ", ".join(str(o.months) for o in provider.offers)}])
    if not candidates:
        raise RuleViolation(f"financing: {provider.name} has no {months}-month offer")
    offer = candidates[0]
    if command.amount_cents < offer.min_amount_cents:
        raise RuleViolation(f"financing: this offer needs at least {offer.min_amount_cents} cents")
    stamp = clock.to_millis(clock.now())
    application = FinancingApplication(
        id=new_id("fin"), plan_id=plan.id, patient_id=plan.patient_id, location_id=plan.location_id,
        provider=provider.id, provider_name=provider.name,
        offer=AppliedOffer(**vars(offer), label=financing_label(offer)), amount_cents=command.amount_cents,
        status=FinancingStatus.APPLIED, reference=command.reference, note=command.note, created_at=stamp,
        updated_at=stamp, history=with_change((), FinancingStatus.APPLIED, stamp, principal.sub), version=1)
    uow = UnitOfWork()
    store.put_financing(uow, principal.org, application, None)
    uow.commit()
    return application


def update_financing(principal: Principal, financing_id: str, patch: FinancingPatch,
                     expected_version: int) -> FinancingApplication:
    """`PATCH /financing/{financing_id}`: move its status (posting once on approval or funding)."""
    current = load_financing(principal, financing_id)
    check_version("financing", current.version, expected_version)
    status = financing_lifecycle.next_status(current.status, patch.status)
    posts = financing_lifecycle.posts_payment(current.status, status)
    if patch.approved_cents is not None and not posts:
        raise RuleViolation("financing: approved_cents is set only when the application is approved or funded")
    approved = patch.approved_cents or current.amount_cents
    if approved > current.amount_cents:
        raise RuleViolation("financing: approved_cents is what is charged to the financing; it cannot exceed the "
                            "amount applied for")
    stamp = clock.to_millis(clock.now())
    updated = replace(current, status=status, updated_at=stamp, version=current.version + 1,
                      history=with_change(current.history, status, stamp, principal.sub), **_remarks(patch, current))
    uow = UnitOfWork()
    if status is FinancingStatus.FUNDED and current.status is not FinancingStatus.FUNDED:
        tz = locations.load(principal.org, current.location_id).timezone
        kpis.add_financing_funded(uow, principal.org, current.location_id, clock.local_date(clock.now(), tz))
    if posts:
        plan = plans.load(principal, current.plan_id)
        payment = payments.new_payment(plan, amount_cents=approved, method=PaymentMethod.FINANCING,
                                       reference=updated.reference, created_by=principal.sub,
                                       financing_id=current.id, note=f"{current.provider_name} financing")
        entry = LedgerEntry(f"led_{current.id}_payment", EntryKind.PAYMENT, approved, Party.PATIENT,
                            clock.iso(payment.created_at), plan_id=plan.id, payment_id=payment.id)
        updated = replace(updated, approved_cents=approved, payment_id=payment.id)
        store.put_financing(uow, principal.org, updated, current.version)
        payments.post_payment(uow, principal.org, payment, entry)
        payments.collected(principal.org, payment)(uow)
    else:
        store.put_financing(uow, principal.org, updated, current.version)
    uow.commit()
    return updated


# --- claims -----------------------------------------------------------------------------------------


def load_claim(principal: Principal, claim_id: str) -> InsuranceClaim:
    return get_visible(principal, Kind.CLAIM, claim_id)


def _claim_lines(plan: Plan, step_ids: Any) -> list[dict[str, Any]]:
    """The signed (or quoted) estimate lines of the claimed steps: what the claim books usage over."""
    wanted = set(step_ids)
    return [line for line in ledger.quote_lines(plan) if line["line_id"] in wanted]


def _book_usage(uow: UnitOfWork, principal: Principal, claim: InsuranceClaim) -> None:
    """A claim's usage entry against its coverage: pending while submitted (expected), paid (what the insurer
    paid), released otherwise. Predeterminations are never money and book nothing."""
    if claim.kind is not ClaimKind.CLAIM:
        return
    status = {ClaimStatus.SUBMITTED: "pending", ClaimStatus.PAID: "paid"}.get(claim.status, benefits.RELEASED)
    amount = claim.paid_cents if status == "paid" else claim.expected_cents
    lines = _claim_lines(plans.load(principal, claim.plan_id), claim.step_ids)
    benefits.book_claim(uow, principal.org, claim, lines, status, amount)


def file_claim(principal: Principal, plan_id: str, command: ClaimCreate) -> InsuranceClaim:
    """`POST /plans/{plan_id}/claims`: record a claim or predetermination sent to the patient's insurer."""
    plan = plans.load(principal, plan_id)
    rank = command.rank
    if rank not in benefit_store.coverages(principal.org, plan.patient_id, consistent=True):
        raise RuleViolation("claims: the patient has no coverage on file" + (f" of rank {rank}" if rank > 1 else ""))
    portion = ledger.portions(plan, command.step_ids)
    today = local_today(locations.load(principal.org, plan.location_id))
    service_date = command.service_date or today
    if service_date > today:
        raise InvalidInput("the service date cannot be in the future", [{"field": "service_date"}])
    lines = _claim_lines(plan, portion.step_ids)
    expected = expected_of(lines, rank) if command.expected_cents is None else command.expected_cents
    stamp = clock.to_millis(clock.now())
    claim = InsuranceClaim(
        id=new_id("clm"), kind=command.kind, plan_id=plan.id, patient_id=plan.patient_id,
        location_id=plan.location_id, step_ids=tuple(portion.step_ids), rank=rank, expected_cents=expected,
        paid_cents=0, status=ClaimStatus.SUBMITTED, service_date=service_date, reference=command.reference,
        note=command.note, pending_held_cents=expected if command.kind is ClaimKind.CLAIM else 0,
        created_at=stamp, updated_at=stamp, history=with_change((), ClaimStatus.SUBMITTED, stamp, principal.sub),
        version=1)
    uow = UnitOfWork()
    store.put_claim(uow, principal.org, claim, None)
    _book_usage(uow, principal, claim)
    uow.commit()
    return claim


def update_claim(principal: Principal, claim_id: str, patch: ClaimPatch, expected_version: int) -> InsuranceClaim:
    """`PATCH /claims/{claim_id}`: move its status; paid posts the insurer's payment once."""
    current = load_claim(principal, claim_id)
    check_version("claim", current.version, expected_version)
    status = claim_lifecycle.next_status(current.kind, current.status, patch.status)
    moved = status is not current.status
    paid_now = moved and status is ClaimStatus.PAID
    if patch.paid_cents is not None and not paid_now:
        raise RuleViolation("claims: paid_cents is given when the claim is marked paid")
    if paid_now and not patch.paid_cents:
        raise RuleViolation("claims: a paid claim needs paid_cents above 0 (a claim that pays nothing is denied)")
    if patch.expected_cents is not None and not claim_lifecycle.is_open(current.status):
        raise RuleViolation("claims: the expected amount changes only while the claim is open")
    if patch.sent("expected_cents") and patch.expected_cents is None:
        raise InvalidInput("required fields cannot be null",
                           [{"field": "expected_cents", "message": "may not be null"}])
    stamp = clock.to_millis(clock.now())
    expected = current.expected_cents if patch.expected_cents is None else patch.expected_cents
    updated = replace(
        current, status=status, updated_at=stamp, version=current.version + 1, expected_cents=expected,
        history=with_change(current.history, status, stamp, principal.sub), **_remarks(patch, current),
        pending_held_cents=expected if current.kind is ClaimKind.CLAIM and status is ClaimStatus.SUBMITTED else 0,
        paid_cents=patch.paid_cents if paid_now and patch.paid_cents else current.paid_cents)
    payment = _insurer_payment(principal, updated) if paid_now else None
    if payment is not None:
        updated = replace(updated, payment_id=payment.id)
    uow = UnitOfWork()
    store.put_claim(uow, principal.org, updated, current.version)
    _claim_postings(uow, principal.org, current, updated, payment)
    if moved or updated.expected_cents != current.expected_cents:
        _book_usage(uow, principal, updated)
    uow.commit()
    return updated


def _insurer_payment(principal: Principal, claim: InsuranceClaim) -> Payment | None:
    """The insurer's payment of a claim marked paid (None for a predetermination, which is never money)."""
    if claim.kind is not ClaimKind.CLAIM:
        return None
    plan = plans.load(principal, claim.plan_id)
    return payments.new_payment(plan, amount_cents=claim.paid_cents, method=PaymentMethod.INSURANCE,
                                reference=claim.reference, created_by=principal.sub, claim_id=claim.id,
                                note="insurance claim payment")


def _claim_postings(uow: UnitOfWork, org: str, before: InsuranceClaim, after: InsuranceClaim,
                    payment: Payment | None) -> None:
    """Add the ledger (and payment, and collections) writes of a claim's move to the unit of work."""
    if after.status is before.status or before.kind is not ClaimKind.CLAIM:
        return
    if after.status is ClaimStatus.PAID and payment is not None:
        entry = LedgerEntry(f"led_{before.id}_insurance_payment", EntryKind.INSURANCE_PAYMENT, after.paid_cents,
                            Party.INSURANCE, clock.iso(payment.created_at), plan_id=before.plan_id,
                            payment_id=payment.id, claim_id=before.id)
        payments.post_payment(uow, org, payment, entry)
        payments.collected(org, payment)(uow)
        shortfall = after.expected_cents - after.paid_cents
    elif after.status is ClaimStatus.CLOSED and before.status is ClaimStatus.DENIED:
        shortfall = after.expected_cents
    else:
        return
    if shortfall > 0:
        ledger.post_entry(uow, org, before.plan_id, LedgerEntry(
            f"led_{before.id}_shortfall", EntryKind.ADJUSTMENT, shortfall, Party.PATIENT, clock.iso(after.updated_at),
            AdjustmentType.INSURANCE_SHORTFALL, plan_id=before.plan_id, claim_id=before.id,
            memo="expected insurance not paid: moved to the patient"))
