"""HTTP routes of the benefits engine: a patient's coverages (primary and secondary, and the primary alone
at /coverage), procedure history, and a plan's phasing across benefit years. Every one leaves an audit
record. (Apart from the patient routes: a patient's first request loads no benefits engine.)"""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.services import benefits_plans, coverages

benefits_out = Models("functions.schemas.out.benefits")
plans_out = Models("functions.schemas.out.plans")
commands = Models("shared.commands.coverage")
router = Router("benefits")


def _optional_if_match(request: Request) -> int | None:
    return request.if_match() if "if-match" in request.headers else None


@router.route("PUT", "/patients/{patient_id}/coverage", permission="patients:write",
              summary="Replace a patient's primary coverage (rank 1; see /coverages/{rank})", body=commands.CoverageIn,
              audit="coverage.write",
              response=benefits_out.CoverageOut, if_match="optional")
def put_coverage(request: Request) -> Reply:
    expected = _optional_if_match(request)
    coverage = coverages.put_coverage(request.principal, request.params["patient_id"], 1, request.body.root, expected)
    return Reply(coverage, version=coverage["version"])


@router.route("GET", "/patients/{patient_id}/coverage", permission="patients:read",
              summary="Get a patient's primary coverage (rank 1)", audit="coverage.read",
              response=benefits_out.CoverageOut)
def get_coverage(request: Request) -> Reply:
    coverage = coverages.get_coverage(request.principal, request.params["patient_id"], 1)
    return Reply(coverage, version=coverage["version"])


@router.route("GET", "/patients/{patient_id}/coverages", permission="patients:read",
              summary="A patient's coverages: rank 1 (primary) and 2 (secondary)", audit="coverage.read",
              response=benefits_out.CoverageList)
def list_ranked_coverages(request: Request) -> dict:
    return coverages.list_coverages(request.principal, request.params["patient_id"])


@router.route("PUT", "/patients/{patient_id}/coverages/{rank}", permission="patients:write",
              summary="Create or replace the coverage of a rank (If-Match optional)", body=commands.CoverageIn,
              audit="coverage.write", response=benefits_out.CoverageOut, if_match="optional")
def put_ranked_coverage(request: Request) -> Reply:
    params = request.params
    coverage = coverages.put_coverage(request.principal, params["patient_id"], params["rank"], request.body.root,
                                     _optional_if_match(request))
    return Reply(coverage, version=coverage["version"])


@router.route("DELETE", "/patients/{patient_id}/coverages/{rank}", permission="patients:write",
              summary="Remove the coverage of a rank (the primary only when there is no secondary)",
              audit="coverage.delete", response=benefits_out.CoverageDeleted, if_match="optional")
def delete_ranked_coverage(request: Request) -> dict:
    params = request.params
    coverages.delete_coverage(request.principal, params["patient_id"], params["rank"], _optional_if_match(request))
    return {"patient_id": params["patient_id"], "rank": int(params["rank"]), "deleted": True}


@router.route("POST", "/patients/{patient_id}/history", permission="patients:write",
              summary="Import prior treatment (for frequency limits)", body=commands.HistoryIn, status=201,
              audit="history.write", response=benefits_out.HistoryCreated)
def add_history(request: Request) -> Reply:
    items = [item.model_dump(mode="json") for item in request.body.items]
    created = coverages.add_history(request.principal, request.params["patient_id"], items)
    request.audit(*(item["id"] for item in created["items"]))
    return Reply(created, 201)


@router.route("GET", "/patients/{patient_id}/history", permission="patients:read",
              summary="A patient's procedure history, newest first (imported and completed)",
              query=commands.HistoryList,
              audit="history.read", response=page_of(benefits_out.HistoryItemOut))
def list_history(request: Request) -> dict:
    patient_id = request.params["patient_id"]
    return list_page(request, {"route": "history", "patient_id": patient_id},
                     lambda start: coverages.history_page(request.principal, patient_id, request.query.limit, start))


@router.route("GET", "/plans/{plan_id}/phasing", permission="plans:read",
              summary="Propose phases for this benefit year and the next so that insurance pays the most",
              audit="plan.read", response=benefits_out.PhasingOut)
def get_phasing(request: Request) -> dict:
    return benefits_plans.phasing(request.principal, request.params["plan_id"])


@router.route("POST", "/plans/{plan_id}/phasing", permission="plans:write",
              summary="Apply the phasing proposal as a new plan version (deferred phases wait for the renewal)",
              body=commands.PhasingApply, audit="plan.update", response=plans_out.PlanOut)
def apply_phasing(request: Request) -> Reply:
    plan = benefits_plans.apply_phasing(request.principal, request.params["plan_id"], request.body.version)
    return Reply(plan, version=plan["version"])
