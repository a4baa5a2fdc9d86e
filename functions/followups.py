"""HTTP routes for the follow-up worklist."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared import clock
from shared.services import followups

out = Models("functions.schemas.out.schedule")
commands = Models("shared.commands.followups")
router = Router("followups")


@router.route("GET", "/followups", permission="followups:read", query=commands.FollowUpList,
              summary="A location's follow-up tasks, by status and due date, each with its patient's name; "
                      "filter by kind, status and owner",
              audit="followup.list", response=page_of(out.FollowUpOut))
def list_followups(request: Request) -> dict:
    q = request.query
    kind = q.kind.value if q.kind else None
    status = q.status.value if q.status else None
    query = {"route": "followups", "location_id": q.location_id, "kind": kind, "status": status, "owner": q.owner}
    page = list_page(request, query, lambda start: followups.list_followups(
        request.principal, q.location_id, kind, status, q.limit, start, q.owner), followups.Listed.view)
    request.audit(*dict.fromkeys(task["patient_id"] for task in page["items"]))  # their names were read
    return page


@router.route("PATCH", "/followups/{followup_id}", permission="followups:write", body=commands.FollowUpPatch,
              summary="Reassign (owner) or snooze (due_date) an open follow-up task", audit="followup.update",
              response=out.FollowUpOut)
def patch_followup(request: Request) -> Reply:
    task = followups.reassign(request.principal, request.params["followup_id"], request.body, request.if_match(),
                              clock.now())
    request.audit(task.id, task.patient_id)
    return Reply(followups.view(task), version=task.version)


@router.route("POST", "/followups/{followup_id}/resolve", permission="followups:write", body=commands.ResolveIn,
              summary="Record the outcome of a follow-up task", audit="followup.resolve", response=out.FollowUpOut)
def resolve_followup(request: Request) -> Reply:
    task = followups.resolve(request.principal, request.params["followup_id"], request.body, clock.now())
    return Reply(followups.view(task), version=task.version)
