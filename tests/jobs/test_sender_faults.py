"""The sender when DynamoDB fails between a provider's accept and the status write: a short outage is ridden
out (the write is retried for about a minute) and nothing is sent twice; a long one stops the run, and the
row it held is then `unconfirmed` (SMS, at-most-once) or sent again once (email, at-least-once).

DynamoDB fails below pynamodb (botocore's client call), and time is simulated: the sender's waits move a
clock that the outage reads, so the test takes no wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from shared.clock import frozen_at
from shared.services import sender
from shared.store import followups as followup_store
from tests.helpers import StubNotifier

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
START = "2026-03-10T11:30:00-04:00"
TWO_DAYS = datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC)  # the 2-day email and SMS are due


class Outage:
    """DynamoDB down from the n-th provider accept for `seconds` of simulated time."""

    def __init__(self, monkeypatch, after_sends: int, seconds: float) -> None:
        self.clock, self.after_sends, self.seconds = 0.0, after_sends, seconds
        self.started: float | None = None
        self.refused = 0
        monkeypatch.setattr(sender, "sleep", self.wait)
        real_call = BaseClient._make_api_call

        def call(client, operation, params):
            if client.meta.service_model.service_name == "dynamodb" and self.down:
                self.refused += 1
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
            return real_call(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", call)

    @property
    def down(self) -> bool:
        return self.started is not None and self.clock < self.started + self.seconds

    def wait(self, seconds: float) -> None:
        self.clock += seconds

    def accepted(self, count: int) -> None:
        if count == self.after_sends:
            self.started = self.clock

    def end(self) -> None:
        self.seconds = 0


class WatchedNotifier(StubNotifier):
    outage: Outage | None = None

    def _send(self, channel: str, to: str, text: str) -> str:
        provider_id = super()._send(channel, to, text)
        if self.outage is not None:
            self.outage.accepted(len(self.sent))
        return provider_id


def run(clinic, at, notifier):
    with frozen_at(at):
        return sender.run(at, notifier, orgs=[clinic.org])


def rows_due(clinic, booked):
    return [r for a in booked for r in clinic.rows(appointment_id=a["id"]) if r["kind"] == "reminder_2d"]


def test_dynamodb_failing_for_20_seconds_mid_batch_sends_nothing_twice(moto_store, make_clinic, monkeypatch):
    clinic = make_clinic()
    with frozen_at(NOW):
        booked = [clinic.book(clinic.patient(), START) for _ in range(5)]  # 10 rows due: email and SMS each
    notifier = WatchedNotifier()
    notifier.outage = outage = Outage(monkeypatch, after_sends=4, seconds=20)

    first = run(clinic, TWO_DAYS, notifier)
    assert outage.refused > 0 and 20 <= outage.clock <= 60  # the status write waited the outage out
    assert (first.sent, first.unconfirmed, first.failed) == (10, 0, 0)
    for later in (timedelta(minutes=1), sender.LEASE + timedelta(minutes=1), timedelta(hours=1)):
        assert run(clinic, TWO_DAYS + later, notifier).sent == 0
    assert len(notifier.sent) == len(set(notifier.sent)) == 10
    assert {r["status"] for r in rows_due(clinic, booked)} == {"sent"}


@pytest.mark.parametrize(("consent", "status", "sends"), [
    ({"sms": {"appointment": True}}, "unconfirmed", 1),  # SMS: at-most-once
    ({"email": {"appointment": True}}, "sent", 2),  # email: at-least-once, sent again once
])
def test_a_long_outage_after_the_accept_never_resends_an_sms_blindly(moto_store, make_clinic, monkeypatch, consent,
                                                                      status, sends):
    clinic = make_clinic()
    with frozen_at(NOW):
        booked = [clinic.book(clinic.patient(consent=consent), START)]
    notifier = WatchedNotifier()
    notifier.outage = outage = Outage(monkeypatch, after_sends=1, seconds=600)

    stopped = run(clinic, TWO_DAYS, notifier)  # gives up after about a minute and stops
    assert stopped.sent == 0 and 55 <= outage.clock <= 65 and len(notifier.sent) == 1
    outage.end()
    assert run(clinic, TWO_DAYS + timedelta(minutes=1), notifier).sent == 0  # still leased
    after_lease = run(clinic, TWO_DAYS + sender.LEASE + timedelta(minutes=1), notifier)
    assert run(clinic, TWO_DAYS + timedelta(hours=1), notifier).sent == 0
    [row] = [r for r in rows_due(clinic, booked) if r["status"] != "suppressed"]  # the channel with consent
    assert row["status"] == status and len(notifier.sent) == sends
    tasks, _ = followup_store.page(clinic.org, clinic.location["id"], "message_failed", "open", 10, None)
    if status == "unconfirmed":
        assert after_lease.unconfirmed == 1 and row["reason"].startswith("provider_outcome_unknown")
        assert [t.message_id for t in tasks] == [row["id"]]  # the coordinator sees it on the worklist
    else:
        assert after_lease.sent == 1 and row["resent_after_unknown_outcome"] is True and tasks == []
