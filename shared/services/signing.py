"""Signing links: the coordinator sends the patient a link to the presented quote; the patient reads it in
plain language (English or Spanish) and signs it there.

A link is for one plan version, expires (14 days, or with the quote if sooner), works once, and is void
as soon as the plan has a newer version or leaves `presented`. Signing stores the signature image, the
quote version, the hash of what the page showed, the time, IP address and user agent, marks the link
used and accepts the plan, in one transaction.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from shared import audit_log, clock
from shared.auth import Principal
from shared.clock import iso
from shared.config import settings
from shared.domain import catalog, plan_codec, signing_message, signing_text
from shared.domain.messages import Message
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.plans import Plan
from shared.domain.reminders import Channel, Purpose
from shared.domain.signing import (
    LinkFacts,
    LinkState,
    content_hash,
    link_id_of,
    link_state,
    new_token,
    signature_png,
)
from shared.errors import Conflict, Gone, InvalidInput, NotFound, RuleViolation
from shared.ids import new_id
from shared.services import benefits, locations, patients, payment_plans, plans
from shared.store import outbox as outbox_store
from shared.store import plans as plan_store
from shared.store import signing as store
from shared.store.unit_of_work import UnitOfWork

LINK_DAYS = 14
PURPOSE = "treatment"  # the consent a signing link needs: it is about the patient's treatment plan


def _instant(text: str) -> datetime:
    return clock.parse_instant(text)


def _latest_quote(plan: Plan) -> dict[str, Any]:
    return plan_codec.to_dict(plan)["quotes"][-1]


def create_link(principal: Principal, plan_id: str, channel: str) -> dict[str, Any]:
    """Plan a message carrying a new link to the presented version, by `channel` with the patient's consent."""
    plan = plans.load(principal, plan_id)
    if plan.status.value != "presented" or plan.presented_version != plan.version:
        raise RuleViolation("only a presented plan (not edited since) can be sent for signature")
    patient = patients.load(principal, plan.patient_id)
    if not (patient.email if channel == "email" else patient.phone):
        raise RuleViolation(f"the patient has no {'email address' if channel == 'email' else 'phone number'}")
    if not patient.consent.of(channel).allows(PURPOSE):
        raise RuleViolation(f"the patient has not consented to {channel} about their treatment")
    if patient.email_is_suppressed if channel == "email" else patient.sms_is_opted_out:
        raise RuleViolation(f"the patient's {channel} is suppressed (opted out or bounced)")
    location = locations.load(principal.org, plan.location_id)
    now = clock.now()
    quote_expiry = _instant(_latest_quote(plan)["expires_at"])
    expires = min(now + timedelta(days=LINK_DAYS), quote_expiry)
    link_id, token = new_token(settings().cursor_secret)
    url = link_url(token)
    if channel == "sms" and not signing_message.fits_sms(location.speaks(patient.language), location.name,
                                                         location.phone, url):
        raise RuleViolation("this link does not fit one SMS with the practice's name, phone and STOP line "
                            "(the console's address is too long): send it by email")
    message_id = new_id("msg")
    uow = UnitOfWork()
    store.put_new_link(uow, {
        "link_id": link_id, "org": principal.org, "plan_id": plan.id, "patient_id": plan.patient_id,
        "location_id": plan.location_id, "version": plan.version, "channel": channel, "message_id": message_id,
        "created_by": principal.sub, "created_at": iso(now), "expires_at": iso(expires), "used_at": None})
    outbox_store.put_new(uow, principal.org, Message(
        id=message_id, patient_id=plan.patient_id, location_id=plan.location_id, subject_id=plan.id,
        kind="signing_link", channel=Channel(channel), purpose=Purpose(PURPOSE), send_at=now, due_at=now,
        status=MessageStatus.PLANNED, created_at=now, updated_at=now, link=url, version=1,
        local_send_date=clock.local_date(now, location.timezone)))
    uow.commit()
    return {"url": url, "channel": channel, "expires_at": iso(expires), "plan_id": plan.id, "version": plan.version,
            "message_id": message_id}


def link_url(token: str) -> str:
    """The patient's link: the console's short `/s` path (the signing page) with the token in the fragment,
    which browsers never send to a server."""
    return f"{settings().console_url}/s#{token}"


def _resolve(token: str) -> tuple[Any, dict[str, Any], Plan]:
    link_id = link_id_of(settings().cursor_secret, token)
    record = store.load_link(link_id) if link_id else None
    if record is None:
        raise NotFound("this signing link does not exist")
    link = record.data()
    plan = plan_store.load(link["org"], link["plan_id"])
    if plan is None:
        raise NotFound("this signing link does not exist")
    return record, link, plan


def _state(link: dict[str, Any], plan: Plan) -> LinkState:
    facts = LinkFacts(version=link["version"], expires_at=_instant(link["expires_at"]),
                      used_at=_instant(link["used_at"]) if link.get("used_at") else None)
    return link_state(facts, plan.presented_version, plan.status.value, clock.now())


def _require_usable(state: LinkState) -> None:
    if state is LinkState.EXPIRED:
        raise Gone("this signing link has expired: ask the practice for a new one")
    if state is LinkState.SUPERSEDED:
        raise Conflict("this plan has changed since the link was sent: ask the practice for the new version")
    if state is LinkState.USED:
        raise Conflict("this link was already used to sign")


def _patient_principal(link: dict[str, Any]) -> Principal:
    """Who acts when the patient signs: only the link's plan, in its location (recorded as the signer)."""
    return Principal(sub=f"patient-link:{link['link_id']}", org=link["org"], role="coordinator",
                     locations=(link["location_id"],))


def _shown(link: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """What the page shows for the link's version: frozen quote lines in plain words, options, consent."""
    org = link["org"]
    quote = _latest_quote(plan)
    location = locations.load(org, plan.location_id)
    patient = patients.load(_patient_principal(link), plan.patient_id)
    insured = bool(benefits.insured(org, plan.patient_id, location).coverages)
    lines = {(line["line_id"], line["code"]): line for line in quote["estimate"]["lines"]}
    phases = []
    for phase in quote["phases"]:
        rows = []
        for step in phase["steps"]:
            for proc in step["procedures"]:
                line = lines.get((step["id"], proc["code"]), {})
                entry = catalog.lookup(proc["code"])
                kind = signing_text.treatment(proc["category"])
                rows.append({"code": proc["code"], "tooth": proc.get("tooth"), "surfaces": proc.get("surfaces") or "",
                             "description": {"en": f"{kind['en']}: {entry.descriptor}" if entry else kind["en"],
                                             "es": kind["es"]},
                             "fee_cents": proc["fee_cents"], "insurance_cents": line.get("insurance_cents", 0),
                             "patient_cents": line.get("patient_cents", proc["fee_cents"]),
                             "reasons": signing_text.why(line.get("limits", []), insured)})
        phases.append({"name": phase["name"], "lines": rows})
    options = payment_plans.options(_patient_principal(link), plan.id)
    totals = quote["estimate"]["totals"]
    return {
        "plan_id": plan.id, "version": link["version"], "quote_number": quote["number"],
        "language": "es" if patient.language == "es" else "en", "expires_at": link["expires_at"],
        "timezone": location.timezone, "practice": {"name": location.name, "phone": location.phone},
        "patient": {"first_name": patient.first_name}, "phases": phases,
        "totals": {name: totals[name] for name in ("fee_cents", "insurance_cents", "patient_cents")},
        "options": {"pay_in_full": options.get("pay_in_full"), "in_house": options["in_house"],
                    "financing": options["financing"]},
        "consent_text": signing_text.consent(location.name, quote["number"], link["version"]),
    }


def _actor(link: dict[str, Any]) -> str:
    return f"patient-link:{link['link_id']}"


def _audit(link: dict[str, Any], action: str, request_id: str) -> None:
    """The patient has no account: the access is recorded under the link (ids only), as functions/api.py
    records a route's: an audit event always (a write's audit item is in its transaction: `sign`)."""
    audit_log.emit(audit_log.event(link["org"], _actor(link), action, [link["plan_id"], link["patient_id"]], "ok",
                                   request_id))


def page(token: str, request_id: str) -> dict[str, Any]:
    """`GET /sign/{token}`: the quote as the patient sees it, with its hash; or who signed it already."""
    _, link, plan = _resolve(token)
    _audit(link, "sign_page.read", request_id)
    state = _state(link, plan)
    if state is LinkState.USED:
        signature = store.load_signature(plan_store.pk(link["org"], plan.id), link["version"])
        shown = signature.data()["shown"] if signature else None
        if shown is not None:
            doc = signature.data()
            return {**shown, "content_hash": doc["content_hash"],
                    "signed": {"signed_at": doc["signed_at"], "signer_name": doc["signer_name"]}}
    _require_usable(state)
    shown = _shown(link, plan)
    return {**shown, "content_hash": content_hash(shown), "signed": None}


def sign(token: str, body: dict[str, Any], source_ip: str | None, user_agent: str | None,
         request_id: str) -> dict[str, Any]:
    """`POST /sign/{token}`: the patient's signature on exactly the version and content the page showed."""
    record, link, plan = _resolve(token)
    _require_usable(_state(link, plan))
    if body["version"] != link["version"]:
        raise Conflict("the page showed another version of the plan: reload it")
    shown = _shown(link, plan)
    digest = content_hash(shown)
    if body["content_hash"] != digest:
        raise Conflict("the plan changed while the page was open: reload it and sign again")
    image = signature_png(body["signature_png"])
    if image is None:
        raise InvalidInput("the signature must be a PNG image under 150 KB",
                           [{"field": "signature_png", "message": "data:image/png;base64,..."}])
    now = clock.now()
    used = {**link, "used_at": iso(now)}
    signature = {
        "plan_id": plan.id, "version": link["version"], "quote_number": shown["quote_number"],
        "signer_name": body["signer_name"], "signature_png": base64.b64encode(image).decode(),
        "content_hash": digest, "shown": shown, "language": body["language"],
        "consent_text": shown["consent_text"][body["language"]], "signed_at": iso(now),
        "source_ip": source_ip, "user_agent": (user_agent or "")[:500], "link_id": link["link_id"],
    }

    def extra(uow: UnitOfWork) -> None:
        store.put_used_link(uow, record, used)
        store.put_signature(uow, plan_store.pk(link["org"], plan.id), signature)

    with audit_log.auditing_writes(link["org"], _actor(link), "plan.sign", request_id,
                                   [link["plan_id"], link["patient_id"]]):
        plans.accept(_patient_principal(link), plan.id, body["signer_name"], link["version"], None, extra=extra)
    _audit(link, "plan.sign", request_id)
    return {"plan_id": plan.id, "version": link["version"], "signed_at": signature["signed_at"],
            "signer_name": body["signer_name"], "content_hash": digest}
