"""What comes back: SMS replies (through SNS) and SES feedback (bounces and complaints, through SNS).

Neither names a group or a patient, only an address, so both go through the contact directory the
sender keeps (every address we sent to -> the patients who have it, and per group the appointment of
its latest reminder SMS). A STOP applies to the sending number it reached: with one shared number (the
default) every group that texted the patient, with a number per group only that group. A number shared
by several patients (a family) is opted out or in for all of them. A "C" confirms only the appointment
whose reminder last went to that number (never another patient's or group's soonest visit). Written
revocations ("please stop texting me") opt out like STOP and also raise a task; CANCEL opts out and,
with an upcoming appointment, raises a cancel-request task. A reply answers once, from the practice
that texted the number last. A hard bounce suppresses the address everywhere (the mailbox is dead).

Replies are outbox rows too (deterministic ids from the inbound message id), sent at once through the
sender: a redelivered SNS notification finds its reply already sent and sends nothing more, which is
what "one confirmation text" needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.adapters.notifier import Notifier
from shared.clock import iso
from shared.domain import appointment_lifecycle
from shared.domain.appointments import Appointment
from shared.domain.reminders import (
    Channel,
    MessageStatus,
    PlannedMessage,
    Purpose,
    SuppressionReason,
    message_id,
    stable_id,
)
from shared.domain.replies import Reply, ReplyIntent, parse_reply
from shared.errors import StaleVersion
from shared.logs import logger
from shared.services import appointments, followups, outbox, send_lookups, sender
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import outbox as outbox_store
from shared.store import patients as patient_store
from shared.store.unit_of_work import UnitOfWork

FLAG_WRITE_ATTEMPTS = 3


def handle_sms(payload: Mapping[str, Any], now: datetime, notifier: Notifier) -> dict[str, Any]:
    """An inbound SMS (AWS End User Messaging / SNS two-way format: originationNumber, messageBody, ...)."""
    phone = str(payload.get("originationNumber") or "")
    text = str(payload.get("messageBody") or "")
    inbound_id = str(payload.get("inboundMessageId") or stable_id("in", phone, text, iso(now)))
    to_number = str(payload.get("destinationNumber") or "")
    reply = parse_reply(text)
    everyone, reminders = outbox_store.directory("sms", phone)
    people = [person for person in everyone if _sent_from(person, to_number)]
    reminders = [reminder for reminder in reminders if _sent_from(reminder, to_number)]
    if not people:
        logger.info("SMS from a number we never texted", extra={"intent": str(reply.intent)})
        return {"intent": str(reply.intent), "patients": 0}
    first = people[0]
    outcome: dict[str, Any] = {"intent": str(reply.intent), "patients": len(people)}
    if reply.intent is ReplyIntent.OPT_OUT:
        for person in people:
            _set_flags(person["org"], person["patient_id"], now, sms_opted_out=True, sms_opted_out_phone=phone,
                       sms_opted_out_at=now)
            outbox.suppress_patient(person["org"], person["patient_id"], "sms", str(SuppressionReason.OPTED_OUT), now)
        outcome["reply"] = _reply(first, inbound_id, "opt_out_confirmation", now, notifier)
        made = _after_opt_out(reply, first, reminders, inbound_id, text, now)
        if made:
            outcome["followups"] = made
    elif reply.intent is ReplyIntent.OPT_IN:
        for person in people:
            _set_flags(person["org"], person["patient_id"], now, sms_opted_out=False)
        outcome["reply"] = _reply(first, inbound_id, "opt_in_confirmation", now, notifier)
    elif reply.intent is ReplyIntent.HELP:
        outcome["reply"] = _reply(first, inbound_id, "help_reply", now, notifier)
    elif reply.intent is ReplyIntent.CONFIRM:
        outcome.update(_confirm(first, reminders, inbound_id, now, notifier))
    else:
        outcome["followups"] = followups.open_callback(first["org"], first["location_id"], first["patient_id"],
                                                       inbound_id, text, reply.possible_opt_out, now)
    return outcome


def _sent_from(entry: Mapping[str, Any], to_number: str) -> bool:
    """Whether we texted this patient (or sent this reminder) from the number the reply came to. Carriers
    keep opt-outs per sending number: with one shared number (the default) every group that texted the
    patient is reached; with a number per group, only the group that owns the number replied to."""
    sender = entry.get("sender") or outbox_store.SHARED_SENDER
    return sender == outbox_store.SHARED_SENDER or sender == to_number


def _reminded_appointment(reminders: Sequence[Mapping[str, Any]],
                          now: datetime) -> tuple[Mapping, Appointment] | None:
    """(directory entry, appointment) of the latest reminder to this number, if that appointment is
    still upcoming; None otherwise (an older reminder's appointment is never the one meant)."""
    if not reminders:
        return None
    latest = reminders[0]
    appointment = appointment_store.load(latest["org"], latest["appointment_id"], consistent=True)
    if appointment is None or not appointment_lifecycle.is_upcoming(appointment.status) or appointment.start <= now:
        return None
    return latest, appointment


def _after_opt_out(reply: Reply, first: Mapping[str, Any], reminders: Sequence[Mapping[str, Any]],
                   inbound_id: str, text: str, now: datetime) -> list[str]:
    """A written revocation also goes to a person (it may say more); CANCEL with an upcoming appointment
    may have meant the visit: a cancel-request task, so the front desk asks the patient."""
    made: list[str] = []
    if reply.free_text:
        made += followups.open_callback(first["org"], first["location_id"], first["patient_id"], inbound_id, text,
                                        True, now)
    if reply.may_mean_appointment:
        reminded = _reminded_appointment(reminders, now)
        appointment = reminded[1] if reminded else appointments.next_upcoming(first["org"], first["patient_id"], now)
        if appointment is not None:
            org = reminded[0]["org"] if reminded else first["org"]
            made += followups.open_cancel_request(org, appointment, inbound_id, now)
    return made


def _confirm(first: Mapping[str, Any], reminders: Sequence[Mapping[str, Any]], inbound_id: str, now: datetime,
             notifier: Notifier) -> dict[str, Any]:
    """C / YES: confirm the appointment of the latest reminder sent to this number (from the group that
    sent it); without one still upcoming, a person calls back rather than guessing which visit was meant."""
    reminded = _reminded_appointment(reminders, now)
    if reminded is None:
        made = followups.open_callback(first["org"], first["location_id"], first["patient_id"], inbound_id,
                                       "confirmation reply, but no upcoming appointment was reminded", False, now)
        return {"confirmed": None, "followups": made}
    person, appointment = reminded
    confirmed = appointments.record_confirmation(person["org"], appointment, "sms", now)
    sent = _reply({**person, "location_id": confirmed.location_id}, inbound_id, "appointment_confirmed", now,
                  notifier, appointment=confirmed)
    return {"confirmed": confirmed.id, "reply": sent}


def _reply(person: Mapping[str, Any], inbound_id: str, kind: str, now: datetime, notifier: Notifier,
           appointment: Appointment | None = None) -> str:
    """Store the reply as an outbox row and send it now; a redelivered inbound message sends nothing new."""
    org, location_id = person["org"], person["location_id"]
    row = PlannedMessage(id=message_id(location_id, inbound_id, kind, Channel.SMS), kind=kind, channel=Channel.SMS,
                         purpose=Purpose.APPOINTMENT, send_at=now, status=MessageStatus.PLANNED, reason=None,
                         patient_id=person["patient_id"], location_id=location_id, subject_id=inbound_id)
    extras = {"reply": True, "appointment_id": appointment.id if appointment else None,
              "appointment_start": appointment.start if appointment else None}
    location = location_store.load(org, location_id)
    if location is None:
        return "location_missing"
    message = dataclasses.replace(outbox.row_message(location.timezone, row, now, extras, None), version=1)
    if not outbox_store.put_if_replannable(org, message):
        return "already_sent"
    summary = sender.SendSummary()
    sender.send_row(org, message, now, notifier, send_lookups.Lookups(), summary)
    return "sent" if summary.sent else "not_sent"


def handle_ses_feedback(payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """An SES bounce or complaint notification: suppress email to that address for its patients.
    Transient (soft) bounces suppress nothing: the address exists, the next message may well arrive."""
    kind = str(payload.get("notificationType") or payload.get("eventType") or "")
    if kind == "Bounce":
        bounce = payload.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return {"type": kind, "suppressed": 0, "ignored": "transient bounce"}
        addresses = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients") or []]
    elif kind == "Complaint":
        complaint = payload.get("complaint") or {}
        addresses = [r.get("emailAddress", "") for r in complaint.get("complainedRecipients") or []]
    else:
        return {"type": kind, "suppressed": 0, "ignored": "not a bounce or complaint"}
    suppressed = 0
    for address in filter(None, addresses):
        for person in outbox_store.contacts("email", address):
            _set_flags(person["org"], person["patient_id"], now, email_suppressed=True,
                       email_suppressed_address=address.lower(), email_suppressed_reason=kind.lower(),
                       email_suppressed_at=now)
            outbox.suppress_patient(person["org"], person["patient_id"], "email", str(SuppressionReason.BOUNCED), now)
            suppressed += 1
    return {"type": kind, "suppressed": suppressed}


def _set_flags(org: str, patient_id: str, now: datetime, **changes: Any) -> bool:
    """Set the messaging side's fields on the patient's profile, conditional on the version read."""
    for _ in range(FLAG_WRITE_ATTEMPTS):
        patient = patient_store.load(org, patient_id, consistent=True)
        if patient is None:
            return False
        if all(getattr(patient, name) == value for name, value in changes.items() if not name.endswith("_at")):
            return False
        uow = UnitOfWork()
        patient_store.put(uow, org, dataclasses.replace(patient, **changes, updated_at=now), patient.version)
        try:
            uow.commit()
            return True
        except StaleVersion:
            continue
    raise StaleVersion("the patient kept changing while a reply was being recorded")
