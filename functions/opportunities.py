"""HTTP route for the treatment-opportunity worklist."""

from __future__ import annotations

from functions.api import Request, Router, list_page
from functions.models import Models, page_of
from shared import clock
from shared.services import opportunities

out = Models("functions.schemas.out.schedule")
commands = Models("shared.commands.opportunities")
router = Router("opportunities")


@router.route("GET", "/opportunities", permission="followups:read", query=commands.OpportunityList,
              summary="A location's treatment opportunities at any age (unscheduled steps, presented, declined, "
                      "expired), largest value first; filter by kind, owner and minimum value",
              audit="opportunity.list", response=page_of(out.OpportunityOut))
def list_opportunities(request: Request) -> dict:
    q = request.query
    kind = q.kind.value if q.kind else None
    query = {"route": "opportunities", "location_id": q.location_id, "kind": kind, "owner": q.owner,
             "min_value_cents": q.min_value_cents}
    page = list_page(request, query, lambda start: opportunities.list_opportunities(
        request.principal, q.location_id, kind, q.owner, q.min_value_cents, q.limit, start, clock.now()))
    request.audit(*(item["patient_id"] for item in page["items"]))
    return page
