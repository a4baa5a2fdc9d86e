"""HTTP routes for treatment plans and the procedure catalog."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.services import plans

out = Models("functions.schemas.out.plans")
commands = Models("shared.commands.plans")
router = Router("plans")


def _plan_reply(plan: dict, status: int = 200) -> Reply:
    return Reply(plan, status, version=plan["version"])


@router.route("GET", "/procedures", permission="procedures:read", summary="Search the CDT procedure catalog",
              query=commands.ProcedureQuery, response=page_of(out.CatalogEntryOut))
def search_procedures(request: Request) -> dict:
    q = request.query
    return {"items": plans.procedures(request.principal, q.q, q.location_id, q.limit), "next_cursor": None}


@router.route("POST", "/plans", permission="plans:write", summary="Create a treatment plan (draft)",
              body=commands.PlanCreate, status=201, audit="plan.create", response=out.PlanOut)
def create_plan(request: Request) -> Reply:
    plan = plans.create(request.principal, request.body.model_dump(mode="json"))
    request.audit(plan["id"], plan["patient_id"])
    return _plan_reply(plan, 201)


@router.route("GET", "/plans", permission="plans:read", summary="List plans of a patient or a location",
              query=commands.PlanList, audit="plan.list", response=page_of(out.PlanOut))
def list_plans(request: Request) -> dict:
    q = request.query
    status = q.status.value if q.status else None
    query = {"route": "plans", "patient_id": q.patient_id, "location_id": q.location_id, "status": status}
    return list_page(request, query, lambda start: plans.list_plans(
        request.principal, q.patient_id, q.location_id, status, q.limit, start))


@router.route("GET", "/plans/{plan_id}", permission="plans:read", summary="Get a plan", audit="plan.read",
              response=out.PlanOut)
def get_plan(request: Request) -> Reply:
    return _plan_reply(plans.get(request.principal, request.params["plan_id"]))


@router.route("PATCH", "/plans/{plan_id}", permission="plans:write", summary="Edit a draft or presented plan",
              body=commands.PlanPatch, audit="plan.update", response=out.PlanOut)
def patch_plan(request: Request) -> Reply:
    expected = request.if_match()
    # null and absent mean the same here: a plan's phases, notes and label are never removed, only replaced
    return _plan_reply(plans.edit(request.principal, request.params["plan_id"], request.changes(), expected))


@router.route("GET", "/plans/{plan_id}/estimate", permission="plans:read",
              summary="Insurance estimate per line and coverage, with reasons: the signed or quoted figures when "
                      "they cover the plan, fresh otherwise (or with ?fresh=true)", audit="plan.read",
              query=commands.EstimateQuery, response=out.EstimateOut)
def get_estimate(request: Request) -> dict:
    return plans.plan_estimate(request.principal, request.params["plan_id"], request.query.fresh)


@router.route("POST", "/plans/{plan_id}/present", permission="plans:write",
              summary="Present the plan: freeze procedures, fees and estimate as a numbered quote",
              body=commands.PresentIn,
              audit="plan.present", response=out.PlanOut)
def present_plan(request: Request) -> Reply:
    return _plan_reply(plans.present(request.principal, request.params["plan_id"], request.body.validity_days))


@router.route("POST", "/plans/{plan_id}/accept", permission="plans:write",
              summary="Record the patient's signature on the presented version (all or some steps)",
              body=commands.AcceptIn,
              audit="plan.accept", response=out.PlanOut)
def accept_plan(request: Request) -> Reply:
    body = request.body
    plan = plans.accept(request.principal, request.params["plan_id"], body.signer_name, body.version, body.step_ids)
    return _plan_reply(plan)


@router.route("POST", "/plans/{plan_id}/decline", permission="plans:write", summary="Record that the patient declined",
              body=commands.DeclineIn, audit="plan.decline", response=out.PlanOut)
def decline_plan(request: Request) -> Reply:
    body = request.body
    return _plan_reply(plans.decline(request.principal, request.params["plan_id"], body.reason.value, body.note))
