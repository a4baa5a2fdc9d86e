"""HTTP routes for the follow-up worklist."""

from __future__ import annotations

from functions.api import Reply, Request, Router, list_page
from functions.schemas.followups import FollowUpList, ResolveIn
from functions.schemas.out import page_of
from functions.schemas.out.schedule import FollowUpOut
from shared import clock
from shared.services import followups

router = Router("followups")


@router.route("GET", "/followups", permission="followups:read", query=FollowUpList,
              summary="A location's follow-up tasks, by status and due date; filter by kind and status",
              audit="followup.list", response=page_of(FollowUpOut))
def list_followups(request: Request) -> dict:
    q = request.query
    kind = q.kind.value if q.kind else None
    status = q.status.value if q.status else None
    return list_page(request, {"route": "followups", "location_id": q.location_id, "kind": kind, "status": status},
                     lambda start: followups.list_followups(request.principal, q.location_id, kind, status, q.limit,
                                                            start))


@router.route("POST", "/followups/{followup_id}/resolve", permission="followups:write", body=ResolveIn,
              summary="Record the outcome of a follow-up task", audit="followup.resolve", response=FollowUpOut)
def resolve_followup(request: Request) -> Reply:
    body = request.body
    task = followups.resolve(request.principal, request.params["followup_id"], body.outcome.value, body.note,
                             clock.now())
    return Reply(task, version=task["version"])
