"""HTTP route for the outbox as coordinators see it: planned, sent, failed and suppressed messages."""

from __future__ import annotations

from functions.api import Request, Router, list_page
from functions.models import Models, page_of
from shared.services import messages

out = Models("functions.schemas.out.schedule")
commands = Models("shared.commands.followups")
router = Router("messages")


@router.route("GET", "/messages", permission="messages:read", query=commands.MessageList,
              summary="Messages of a patient, an appointment, or a location on a local date, with status and reason",
              audit="message.list", response=page_of(out.MessageOut))
def list_messages(request: Request) -> dict:
    q = request.query
    day = q.date.isoformat() if q.date else None
    query = {"route": "messages", "patient_id": q.patient_id, "appointment_id": q.appointment_id,
             "location_id": q.location_id, "date": day}

    def page(start: dict | None) -> tuple[list[dict], dict | None]:
        rows, last_key = messages.list_messages(request.principal, q.patient_id, q.appointment_id, q.location_id,
                                                day, q.limit, start)
        return [messages.view(row) for row in rows], last_key

    return list_page(request, query, page)
