"""The treatment-opportunity worklist: `GET /opportunities?location_id=&kind=&owner=&min_value_cents=`.

Every plan of the location that is an opportunity now (shared/domain/opportunities.py: accepted steps
not scheduled, presented and unanswered, declined, expired), at any age, with its value, the patient's
remaining benefits this year, the last contact and its owner, largest value first.

Reads, all by key or index (no Scan): one Query page series per stored plan status that can hold an
opportunity (gsi2 by location and status); the plans' follow-up tasks and follow-up messages by their
deterministic ids (BatchGetItem): a task's owner is the opportunity's owner once reassigned, and the
latest message sent or task resolved is the last contact; each patient's benefits file (one Query of
the patient's partition, once per patient on the page: coverages and their usage ledger). Sorting by
value needs every candidate, so a page is cut from the sorted list (the cursor holds the offset, shaped
as a store key); the work grows with the location's open opportunities, not with its history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from shared.auth import Principal
from shared.clock import iso
from shared.domain.followup_rules import FollowUpKind, followup_id
from shared.domain.locations import Location
from shared.domain.messages import Message
from shared.domain.opportunities import STORED_STATUSES, Opportunity, OpportunityKind, opportunity_of, worklist
from shared.domain.plans import Plan
from shared.domain.reminders import message_id
from shared.services import benefits, locations, patients
from shared.store import followups as followup_store
from shared.store import outbox as outbox_store
from shared.store import plans as plan_store
from shared.store import records

# The follow-up rule (task kind, message days) that works each kind of opportunity.
RULES = {OpportunityKind.PRESENTED: (FollowUpKind.UNACCEPTED_PLAN, (7, 21)),
         OpportunityKind.EXPIRED: (FollowUpKind.UNACCEPTED_PLAN, (7, 21)),
         OpportunityKind.UNSCHEDULED_STEPS: (FollowUpKind.UNSCHEDULED_TREATMENT, (7, 30))}
PAGE_READ = 100


def list_opportunities(principal: Principal, location_id: str, kind: str | None, owner: str | None,
                       min_value_cents: int, limit: int, start_key: dict | None,
                       now: datetime) -> tuple[list[dict[str, Any]], dict | None]:
    location = locations.load_visible(principal, location_id)
    org = principal.org
    found = [o for plan in _candidate_plans(org, location_id) if (o := opportunity_of(plan, now)) is not None]
    tasks = followup_store.get_many(org, [_task_id(o) for o in found if o.kind in RULES])
    owned = [_owned(o, tasks) for o in found]
    listed = worklist(owned, kind=kind, owner=owner, min_value_cents=min_value_cents)
    offset = records.offset_of(start_key)
    page = listed[offset:offset + limit]
    sent = outbox_store.get_many(org, [ident for o in page for ident in _message_ids(o)])
    coverage: dict[str, int | None] = {}
    names = patients.display_names(org, [o.patient_id for o in page])  # the route audits the patients listed
    items = [{**_view(o, tasks, sent, coverage, org, location, now), "patient_name": names.get(o.patient_id)}
             for o in page]
    more = offset + limit < len(listed)
    return items, records.offset_key(org, f"OPPORTUNITIES#{location_id}", offset + limit) if more else None


def _candidate_plans(org: str, location_id: str) -> Iterator[Plan]:
    for status in dict.fromkeys(STORED_STATUSES):
        start: dict | None = None
        while True:
            page = plan_store.page_for_location(org, location_id, status, PAGE_READ, start)
            yield from (plan_store.from_record(record) for record in page.records)
            if not page.last_key:
                break
            start = page.last_key


def _task_id(opportunity: Opportunity) -> str:
    task_kind, _ = RULES[opportunity.kind]
    return followup_id(opportunity.location_id, opportunity.plan_id, task_kind)


def _message_ids(opportunity: Opportunity) -> Iterable[str]:
    if opportunity.kind not in RULES:
        return []
    task_kind, days = RULES[opportunity.kind]
    return [message_id(opportunity.location_id, opportunity.plan_id, task_kind, channel, f"day{n}")
            for n in days for channel in ("email", "sms")]


def _owned(opportunity: Opportunity, tasks: dict) -> Opportunity:
    """The opportunity owned by whoever its follow-up task was (re)assigned to, if it has one."""
    task = tasks.get(_task_id(opportunity)) if opportunity.kind in RULES else None
    if task is None:
        return opportunity
    return dataclasses.replace(opportunity, owner=task.owner)


def _view(opportunity: Opportunity, tasks: dict, sent: dict[str, Message], coverage: dict[str, int | None],
          org: str, location: Location, now: datetime) -> dict[str, Any]:
    contacts = [iso(message.sent_at) for ident in _message_ids(opportunity)
                if (message := sent.get(ident)) is not None and message.sent_at is not None]
    task = tasks.get(_task_id(opportunity)) if opportunity.kind in RULES else None
    if task is not None and task.resolved_at is not None:
        contacts.append(iso(task.resolved_at))
    if opportunity.patient_id not in coverage:
        coverage[opportunity.patient_id] = benefits.remaining_benefits(org, opportunity.patient_id, location, now)
    return {"id": opportunity.plan_id, "kind": str(opportunity.kind), "plan_id": opportunity.plan_id,
            "patient_id": opportunity.patient_id,
            "location_id": opportunity.location_id, "value_cents": opportunity.value_cents,
            "remaining_benefits_cents": coverage[opportunity.patient_id],
            "last_contact_at": max(contacts) if contacts else None, "owner": opportunity.owner,
            "since": iso(opportunity.since) if opportunity.since else None,
            "followup_id": task.id if task is not None else None}
