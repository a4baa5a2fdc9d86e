"""HTTP routes for the money side: payment options, in-house payment plans, the ledger, financing, claims,
payments and refunds.

Money-moving POSTs (payments, refunds) need an Idempotency-Key (428 without): a replay answers the first
response with `Idempotent-Replayed: true`, the same key with another body is 422, a duplicate still in
flight is 409 (see shared/store/idempotency.py).
"""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.errors import PreconditionRequired
from shared.services import financing, ledger, payment_plans, payments
from shared.store import idempotency

out = Models("functions.schemas.out.money")
commands = Models("shared.commands.payments")
router = Router("payments")


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if key is None:
        raise PreconditionRequired("Idempotency-Key is required on payments and refunds: send a unique key per "
                                   "payment and the same key when retrying it")
    return idempotency.check_key(key)


def _idempotent_reply(request: Request, outcome: idempotency.Outcome) -> Reply:
    body = outcome.response.body
    request.audit(body.get("id", ""), body.get("payment_id", ""), body.get("patient_id", ""))
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    version = body.get("version") if "payment_id" not in body else None
    return Reply(body, outcome.response.status, headers, version=version)


def _versioned(doc: dict, status: int = 200) -> Reply:
    return Reply(doc, status, version=doc["version"])


@router.route("GET", "/plans/{plan_id}/payment-options", permission="payments:read", audit="payment_options.read",
              response=out.PaymentOptionsOut,
              summary="Pay in full, in-house plans, financing offers and the insurance estimate for a plan")
def get_payment_options(request: Request) -> dict:
    return payment_plans.options(request.principal, request.params["plan_id"])


@router.route("POST", "/plans/{plan_id}/payment-plan", permission="payments:write", body=commands.PaymentPlanIn,
              audit="payment_plan.write", response=out.PaymentPlanOut, status=201, also=(200,),
              summary="Set (or sign) the in-house payment plan; new terms void the patient's signature")
def put_payment_plan(request: Request) -> Reply:
    """201 when the plan gets its first payment plan, 200 when it is replaced or signed."""
    payment_plan, created = payment_plans.put_payment_plan(request.principal, request.params["plan_id"], request.body)
    request.audit(payment_plan.plan_id, payment_plan.patient_id)
    return Reply(payment_plans.view(payment_plan), 201 if created else 200, version=payment_plan.version)


@router.route("GET", "/plans/{plan_id}/ledger", permission="payments:read", audit="ledger.read", response=out.LedgerOut,
              summary="The plan's ledger entries and the balances derived from them")
def get_ledger(request: Request) -> dict:
    view = ledger.view(request.principal, request.params["plan_id"])
    request.audit(view["plan_id"], view["patient_id"])
    return view


@router.route("POST", "/plans/{plan_id}/financing", permission="payments:write", body=commands.FinancingCreate,
              status=201,
              audit="financing.create", response=out.FinancingOut,
              summary="Record a financing application to a provider the location offers")
def apply_for_financing(request: Request) -> Reply:
    application = financing.apply(request.principal, request.params["plan_id"], request.body)
    request.audit(application.id, application.plan_id, application.patient_id)
    return _versioned(financing.view(application), 201)


@router.route("PATCH", "/financing/{financing_id}", permission="payments:write", body=commands.FinancingPatch,
              audit="financing.update", response=out.FinancingOut,
              summary="Move a financing application (approval or funding posts once)")
def patch_financing(request: Request) -> Reply:
    expected = request.if_match()
    application = financing.update_financing(request.principal, request.params["financing_id"], request.body,
                                             expected)
    request.audit(application.id, application.patient_id, application.payment_id or "")
    return _versioned(financing.view(application))


@router.route("POST", "/plans/{plan_id}/claims", permission="payments:write", body=commands.ClaimCreate, status=201,
              audit="claim.create", response=out.ClaimOut, summary="Record an insurance claim or predetermination")
def file_claim(request: Request) -> Reply:
    claim = financing.file_claim(request.principal, request.params["plan_id"], request.body)
    request.audit(claim.id, claim.plan_id, claim.patient_id)
    return _versioned(financing.view(claim), 201)


@router.route("PATCH", "/claims/{claim_id}", permission="payments:write", body=commands.ClaimPatch,
              audit="claim.update",
              response=out.ClaimOut,
              summary="Move a claim (paid posts the insurer's payment once and updates the coverage used)")
def patch_claim(request: Request) -> Reply:
    expected = request.if_match()
    claim = financing.update_claim(request.principal, request.params["claim_id"], request.body, expected)
    request.audit(claim.id, claim.patient_id, claim.payment_id or "")
    return _versioned(financing.view(claim))


@router.route("POST", "/payments", permission="payments:write", body=commands.PaymentCreate, status=201,
              audit="payment.create", idempotent=True, response=out.PaymentOut,
              summary="Record a payment taken elsewhere (needs Idempotency-Key)")
def create_payment(request: Request) -> Reply:
    key = _idempotency_key(request)
    outcome = payments.create(request.principal, key, request.body)
    return _idempotent_reply(request, outcome)


@router.route("GET", "/payments", permission="payments:read", query=commands.PaymentList, audit="payment.list",
              response=page_of(out.PaymentOut),
              summary="Payments of a plan or of a patient, newest first")
def list_payments(request: Request) -> dict:
    q = request.query

    def page(start: dict | None) -> tuple[list[dict], dict | None]:
        found, last_key = payments.list_payments(request.principal, q.plan_id, q.patient_id, q.limit, start)
        return [payments.view(payment) for payment in found], last_key

    return list_page(request, {"route": "payments", "plan_id": q.plan_id, "patient_id": q.patient_id}, page)


@router.route("GET", "/payments/{payment_id}", permission="payments:read", audit="payment.read",
              response=out.PaymentDetail,
              summary="A payment with its refunds")
def get_payment(request: Request) -> Reply:
    payment, refunds = payments.get(request.principal, request.params["payment_id"])
    request.audit(payment.id, payment.patient_id)
    return Reply(payments.detail_view(payment, refunds), version=payment.version)


@router.route("POST", "/payments/{payment_id}/refunds", permission="refunds:write", body=commands.RefundCreate,
              status=201,
              audit="refund.create", idempotent=True, response=out.RefundCreated,
              summary="Refund part or all of what is left of a payment (needs Idempotency-Key)")
def create_refund(request: Request) -> Reply:
    key = _idempotency_key(request)
    outcome = payments.refund(request.principal, request.params["payment_id"], key, request.body)
    return _idempotent_reply(request, outcome)
