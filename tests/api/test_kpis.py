"""GET /kpis over a month of activity in two locations (New York and Los Angeles), checked against a
hand count per location, per coordinator and for the group; visibility; validation; CSV.

Plans go through the HTTP API. Step completion (the appointments service's job), payments, refunds,
financing and appointment outcomes are driven through the KPI write functions inside transactions, as
those services call them.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from shared import clock
from shared.clock import frozen_at
from shared.domain import plan_lifecycle
from shared.services import kpis
from shared.store import plans as plan_store
from tests.factories import commit, location_body, patient_body

NY, LA = "America/New_York", "America/Los_Angeles"
TEETH = ("3", "14", "19", "30")
MARCH = "from=2025-03-01&to=2025-03-31"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def fees_body(patient_id: str, fees: list[int], **overrides) -> dict:
    """A plan with one crown step per fee, so accepted value is easy to count by hand."""
    steps = [{"procedures": [{"code": "D2740", "tooth": TEETH[i], "fee_cents": fee}]} for i, fee in enumerate(fees)]
    return {"patient_id": patient_id, "phases": [{"name": "Restore", "steps": steps}], **overrides}


class Month:
    """Builds the activity; each call runs with the clock at the instant given."""

    def __init__(self, admin) -> None:
        self.admin = admin
        self.coord = {name: admin.as_(role="coordinator", sub=name) for name in ("coord-a", "coord-b")}
        self.tz: dict[str, str] = {}

    def location(self, name: str, timezone: str) -> str:
        location_id = self.admin.post("/locations", location_body(name=name, timezone=timezone)).data["id"]
        self.tz[location_id] = timezone
        return location_id

    def patient(self, location_id: str) -> str:
        return self.admin.post("/patients", patient_body(location_id)).data["id"]

    def plan(self, owner: str, patient_id: str, fees: list[int], when: str, **overrides) -> dict:
        with frozen_at(at(when)):
            made = self.coord[owner].post("/plans", fees_body(patient_id, fees, **overrides))
        assert made.status_code == 201, made.data
        return made.data

    def present(self, plan: dict, when: str) -> dict:
        with frozen_at(at(when)):
            presented = self.admin.post(f"/plans/{plan['id']}/present", {})
        assert presented.status_code == 200, presented.data
        return presented.data

    def accept(self, plan: dict, when: str, steps: int | None = None) -> dict:
        step_ids = [s["id"] for phase in plan["phases"] for s in phase["steps"]]
        body = {"signer_name": "Ana", "version": plan["version"]}
        if steps is not None:
            body["step_ids"] = step_ids[:steps]
        with frozen_at(at(when)):
            accepted = self.admin.post(f"/plans/{plan['id']}/accept", body)
        assert accepted.status_code == 200, accepted.data
        return accepted.data

    def decline(self, plan: dict, when: str) -> None:
        with frozen_at(at(when)):
            assert self.admin.post(f"/plans/{plan['id']}/decline", {"reason": "cost"}).status_code == 200

    def complete(self, plan: dict, when: str, outcome_in_same_transaction: bool = False) -> None:
        """What the appointments service does: schedule and complete every accepted step, with the KPI
        writes (and, here, the appointment's outcome) in the plan's transaction."""
        org = self.admin.org
        before = plan_store.load(org, plan["id"])
        after = before
        now = at(when)
        with frozen_at(now):
            for step in before.steps:
                if step.status.value == "pending":
                    after = plan_lifecycle.mark_step_scheduled(after, step.id, now=now)
                    after = plan_lifecycle.mark_step_completed(after, step.id, now=now)
            tz = self.tz[before.location_id]
            writes = [kpis.kpi_writes_for_plan_change(org, before, after, tz)]
            if outcome_in_same_transaction:
                day = clock.local_date(now, tz)
                writes.append(lambda uow: kpis.add_appointment_outcome(uow, org, before.location_id, day, "completed"))
            commit(lambda uow: plan_store.put(uow, org, after, before.version), *writes)
        assert after.status.value == "completed"

    def money(self, location_id: str, day: str, *, payments=(), refunds=(), funded: int = 0,
              outcomes=()) -> None:
        """Payments, refunds, funded financing and appointment outcomes of one local day, in one transaction."""
        org, local = self.admin.org, date.fromisoformat(day)

        def build(uow) -> None:
            for cents in payments:
                kpis.add_payment(uow, org, location_id, local, cents)
            for cents in refunds:
                kpis.add_refund(uow, org, location_id, local, cents)
            for _ in range(funded):
                kpis.add_financing_funded(uow, org, location_id, local)
            for outcome in outcomes:
                kpis.add_appointment_outcome(uow, org, location_id, local, outcome)

        commit(build)


@pytest.fixture
def month(admin):
    """March 2025. NY is UTC-5 until 9 March, UTC-4 after; LA is UTC-8, then UTC-7.

    NY (L1), patients P1 P2 P3:
      A coord-a P1 [100, 200, 300]  presented 3 Mar, steps 1-2 accepted 5 Mar (2 days), completed 20 Mar
      B coord-a P2 [500]            presented 04:30Z 4 Mar = 3 Mar 23:30 NY; accepted 02:00Z 11 Mar = 10 Mar NY
      C coord-b P3 [400, 100]       presented 6 Mar, declined 8 Mar
      D coord-b P1 [250]            presented and accepted 5 Mar (0 days), completed 28 Mar
      E coord-a P1 [50]             presented and accepted 5 Mar (coord-a already closed P1 that day), completed 28 Mar
      F coord-a P3 [200] -> [200, 150]  presented 25 Mar, edited and presented again 26 Mar, accepted 1 Apr
      G coord-a P2 [120]            presented 27 Feb, accepted 2 Mar (3 days)
    LA (L2), patients P4 P5:
      H coord-b P4 [800, 200]       presented 06:30Z 10 Mar = 9 Mar 23:30 LA, step 1 accepted 12 Mar (3 days)
      I coord-a P5 [300]            presented 31 Mar, accepted 06:00Z 1 Apr = 31 Mar 23:00 LA (0 days)
      J coord-b P5 [100]            presented 15 Mar, declined 16 Mar
      K1 coord-b P4 [600], K2 its alternative [900]: both presented 20 Mar, K2 accepted 22 Mar (2 days),
         which declines K1 as an alternative (not a patient's decline)
    (fees in dollars here; cents in the API)
    """
    m = Month(admin)
    with frozen_at(at("2025-02-20T15:00:00Z")):
        ny, la = m.location("Riverside NY", NY), m.location("Sunset LA", LA)
        p1, p2, p3, p4, p5 = (m.patient(loc) for loc in (ny, ny, ny, la, la))
    d = 100  # cents per dollar

    g = m.present(m.plan("coord-a", p2, [120 * d], "2025-02-27T14:00:00Z"), "2025-02-27T15:00:00Z")
    m.accept(g, "2025-03-02T15:00:00Z")
    a = m.present(m.plan("coord-a", p1, [100 * d, 200 * d, 300 * d], "2025-03-03T14:00:00Z"), "2025-03-03T15:00:00Z")
    b = m.present(m.plan("coord-a", p2, [500 * d], "2025-03-04T03:00:00Z"), "2025-03-04T03:30:00Z")
    dd = m.present(m.plan("coord-b", p1, [250 * d], "2025-03-05T13:00:00Z"), "2025-03-05T14:00:00Z")
    e = m.present(m.plan("coord-a", p1, [50 * d], "2025-03-05T14:00:00Z"), "2025-03-05T14:30:00Z")
    a = m.accept(a, "2025-03-05T15:00:00Z", steps=2)
    dd = m.accept(dd, "2025-03-05T16:00:00Z")
    e = m.accept(e, "2025-03-05T17:00:00Z")
    c = m.present(m.plan("coord-b", p3, [400 * d, 100 * d], "2025-03-06T15:00:00Z"), "2025-03-06T16:00:00Z")
    m.decline(c, "2025-03-08T16:00:00Z")
    b = m.accept(b, "2025-03-11T02:00:00Z")
    m.complete(a, "2025-03-20T15:00:00Z")
    m.complete(dd, "2025-03-28T15:00:00Z")
    m.complete(e, "2025-03-28T16:00:00Z", outcome_in_same_transaction=True)
    f = m.present(m.plan("coord-a", p3, [200 * d], "2025-03-25T14:00:00Z"), "2025-03-25T15:00:00Z")
    with frozen_at(at("2025-03-26T15:00:00Z")):
        kept = {"id": f["phases"][0]["steps"][0]["id"],
                "procedures": [{"code": "D2740", "tooth": "3", "fee_cents": 200 * d}]}
        added = {"procedures": [{"code": "D2740", "tooth": "14", "fee_cents": 150 * d}]}
        edited = admin.patch(f"/plans/{f['id']}", {"phases": [{"name": "Restore", "steps": [kept, added]}]},
                             headers={"If-Match": f'"{f["version"]}"'})
    assert edited.status_code == 200, edited.data
    f = m.present(edited.data, "2025-03-26T15:30:00Z")
    m.accept(f, "2025-04-01T15:00:00Z")

    h = m.present(m.plan("coord-b", p4, [800 * d, 200 * d], "2025-03-10T06:00:00Z"), "2025-03-10T06:30:00Z")
    m.accept(h, "2025-03-12T18:00:00Z", steps=1)
    j = m.present(m.plan("coord-b", p5, [100 * d], "2025-03-15T19:00:00Z"), "2025-03-15T20:00:00Z")
    m.decline(j, "2025-03-16T20:00:00Z")
    k1 = m.plan("coord-b", p4, [600 * d], "2025-03-20T19:00:00Z")
    k2 = m.plan("coord-b", p4, [900 * d], "2025-03-20T19:10:00Z", alternative_to=k1["id"])
    m.present(k1, "2025-03-20T20:00:00Z")
    k2 = m.present(k2, "2025-03-20T20:00:00Z")
    m.accept(k2, "2025-03-22T20:00:00Z")
    i = m.present(m.plan("coord-a", p5, [300 * d], "2025-03-31T19:00:00Z"), "2025-03-31T20:00:00Z")
    m.accept(i, "2025-04-01T06:00:00Z")

    m.money(ny, "2025-03-05", payments=[300 * d, 250 * d])
    m.money(ny, "2025-03-11", funded=1)
    m.money(ny, "2025-03-12", outcomes=["no_show"])
    m.money(ny, "2025-03-14", outcomes=["late_cancel"])
    m.money(ny, "2025-03-20", outcomes=["completed"])
    m.money(ny, "2025-03-21", refunds=[50 * d])
    m.money(ny, "2025-03-28", outcomes=["completed"])  # D's visit; E's outcome went with E's completion
    m.money(ny, "2025-04-01", outcomes=["no_show"])  # outside the range
    m.money(la, "2025-03-12", payments=[800 * d], funded=1, outcomes=["completed"])
    m.money(la, "2025-03-22", payments=[100 * d], funded=1, outcomes=["completed"])
    m.money(la, "2025-03-25", outcomes=["no_show"])

    # The nightly job, run late (2 April) and twice for 31 March: April's changes are taken back exactly.
    with frozen_at(at("2025-04-02T12:00:00Z")):
        kpis.close_day(admin.org, ny, date(2025, 3, 30), overdue_followups=6)
        for _ in range(2):
            kpis.close_day(admin.org, ny, date(2025, 3, 31), overdue_followups=4)
            kpis.close_day(admin.org, la, date(2025, 3, 31), overdue_followups=2, timezone=LA)
    return {"ny": ny, "la": la}


def ratio(value, numerator, denominator) -> dict:
    return {"value": value, "numerator": numerator, "denominator": denominator}


NY_FIGURES = {
    # cohort of March: A B C D E F presented; A(100+200) B D E F(200+150) accepted; C declined
    "case_acceptance_count": {**ratio(0.8333, 5, 6), "declined": 1},
    "case_acceptance_value": ratio(0.6444, 145000, 225000),
    "incomplete_treatment_cohort": ratio(0.4, 2, 5),  # of A B D E F accepted, A D E completed
    # closes: coord-a P2 2 Mar (G), P1 5 Mar (A and E: once), P2 10 Mar (B); coord-b P1 5 Mar (D)
    # per working day: Monday to Friday, 21 days in March 2025
    "patients_closed_per_day": {**ratio(0.19, 4, 21),
                                "by_day": {"2025-03-02": 1, "2025-03-05": 2, "2025-03-10": 1}},
    # signed in March: G 3 days, A 2, D 0, E 0, B 7 (F signed 1 April)
    "days_to_acceptance": ratio(2.4, 12, 5),
    # end of 31 March: P1 all completed, P2 (B, G) open; P3 signs only on 1 April
    "incomplete_treatment": {**ratio(0.5, 1, 2), "as_of": "2025-03-31"},
    "no_show_rate": {**ratio(0.4, 2, 5), "no_shows": 1, "late_cancellations": 1, "completed": 3},
    "collections": {"value": 50000, "payments_cents": 55000, "refunds_cents": 5000},
    "financing_uptake": ratio(0.2, 1, 5),
    "followups_overdue": {"value": 4, "as_of": "2025-03-31"},
    "plans_completed": {"value": 3},
}
LA_FIGURES = {
    # H I J K1 K2 presented; H(800) I K2 accepted; J declined; K1 declined as an alternative (not counted)
    "case_acceptance_count": {**ratio(0.6, 3, 5), "declined": 1},
    "case_acceptance_value": ratio(0.6897, 200000, 290000),
    "incomplete_treatment_cohort": ratio(1.0, 3, 3),
    "patients_closed_per_day": {**ratio(0.14, 3, 21),
                                "by_day": {"2025-03-12": 1, "2025-03-22": 1, "2025-03-31": 1}},
    "days_to_acceptance": ratio(1.7, 5, 3),  # H 3, K2 2, I 0
    "incomplete_treatment": {**ratio(1.0, 2, 2), "as_of": "2025-03-31"},  # P4 and P5 (I signed 31 Mar LA)
    "no_show_rate": {**ratio(0.3333, 1, 3), "no_shows": 1, "late_cancellations": 0, "completed": 2},
    "collections": {"value": 90000, "payments_cents": 90000, "refunds_cents": 0},
    "financing_uptake": ratio(0.6667, 2, 3),
    "followups_overdue": {"value": 2, "as_of": "2025-03-31"},
    "plans_completed": {"value": 0},
}
GROUP_FIGURES = {
    "case_acceptance_count": {**ratio(0.7273, 8, 11), "declined": 2},
    "case_acceptance_value": ratio(0.6699, 345000, 515000),
    "incomplete_treatment_cohort": ratio(0.625, 5, 8),
    "patients_closed_per_day": {**ratio(0.33, 7, 21), "by_day": {
        "2025-03-02": 1, "2025-03-05": 2, "2025-03-10": 1, "2025-03-12": 1, "2025-03-22": 1, "2025-03-31": 1}},
    "days_to_acceptance": ratio(2.1, 17, 8),
    "incomplete_treatment": {**ratio(0.75, 3, 4), "as_of": "2025-03-31"},
    "no_show_rate": {**ratio(0.375, 3, 8), "no_shows": 2, "late_cancellations": 1, "completed": 5},
    "collections": {"value": 140000, "payments_cents": 145000, "refunds_cents": 5000},
    "financing_uptake": ratio(0.375, 3, 8),
    "followups_overdue": {"value": 6, "as_of": "2025-03-31"},
    "plans_completed": {"value": 3},
}


def coordinator(presented, presented_cents, accepted, accepted_cents, declined, signed, days, closed, by_day,
                completed):
    return {
        "incomplete_treatment_cohort": ratio(round((accepted - completed) / accepted, 4), accepted - completed,
                                             accepted),
        "case_acceptance_count": {**ratio(round(accepted / presented, 4), accepted, presented),
                                  "declined": declined},
        "case_acceptance_value": ratio(round(accepted_cents / presented_cents, 4), accepted_cents, presented_cents),
        "patients_closed_per_day": {**ratio(round(closed / 21, 2), closed, 21), "by_day": by_day},
        "days_to_acceptance": ratio(round(days / signed, 1) if signed else None, days, signed),
    }


NY_COORDINATORS = {
    # coord-a: A B E F presented in March (G in February); all four accepted; signed in March: G A E B
    "coord-a": coordinator(4, 150000, 4, 120000, 0, 4, 12, 3,
                           {"2025-03-02": 1, "2025-03-05": 1, "2025-03-10": 1}, 2),
    "coord-b": coordinator(2, 75000, 1, 25000, 1, 1, 0, 1, {"2025-03-05": 1}, 1),
}
LA_COORDINATORS = {
    "coord-a": coordinator(1, 30000, 1, 30000, 0, 1, 0, 1, {"2025-03-31": 1}, 0),
    "coord-b": coordinator(4, 260000, 2, 170000, 1, 2, 5, 2, {"2025-03-12": 1, "2025-03-22": 1}, 0),
}
GROUP_COORDINATORS = {
    "coord-a": coordinator(5, 180000, 5, 150000, 0, 5, 12, 4,
                           {"2025-03-02": 1, "2025-03-05": 1, "2025-03-10": 1, "2025-03-31": 1}, 2),
    "coord-b": coordinator(6, 335000, 3, 195000, 2, 3, 5, 3,
                           {"2025-03-05": 1, "2025-03-12": 1, "2025-03-22": 1}, 1),
}


def by_coordinator(block: dict) -> dict:
    return {row["coordinator_id"]: row["figures"] for row in block["coordinators"]}


def without_by_day(figures: dict) -> dict:
    """A group report's figures: patients closed per day without `by_day` (only one location's report
    reads its day items for it)."""
    closed = {name: value for name, value in figures["patients_closed_per_day"].items() if name != "by_day"}
    return {**figures, "patients_closed_per_day": closed}


def test_a_month_of_activity_in_two_locations(admin, month):
    """Built once (it takes a while), checked from every side."""
    check_the_hand_count(admin, month)
    check_a_range_reaching_today_reads_the_live_levels(admin, month)
    check_a_group_range_reaching_today_reads_every_location_early_and_shows_the_same(admin, month)
    check_the_csv_export(admin, month)
    check_visibility(admin, month)


def check_the_hand_count(admin, month):
    with frozen_at(at("2025-04-02T12:00:00Z")):
        one = admin.get(f"/kpis?location_id={month['ny']}&{MARCH}")
        everything = admin.get(f"/kpis?{MARCH}")
    assert one.status_code == 200, one.data
    assert one.data["group"] is None and [loc["location_id"] for loc in one.data["locations"]] == [month["ny"]]
    assert one.data["locations"][0]["figures"] == NY_FIGURES
    assert by_coordinator(one.data["locations"][0]) == NY_COORDINATORS

    assert everything.status_code == 200 and everything.data["days"] == 31
    shown = {loc["location_id"]: loc for loc in everything.data["locations"]}
    assert shown[month["ny"]]["figures"] == without_by_day(NY_FIGURES)
    assert shown[month["la"]]["figures"] == without_by_day(LA_FIGURES)
    assert by_coordinator(shown[month["la"]]) == {c: without_by_day(f) for c, f in LA_COORDINATORS.items()}
    group = everything.data["group"]
    assert group["location_count"] == 2 and group["figures"] == without_by_day(GROUP_FIGURES)
    assert by_coordinator(group) == {c: without_by_day(f) for c, f in GROUP_COORDINATORS.items()}
    la = admin.get(f"/kpis?location_id={month['la']}&{MARCH}").data["locations"][0]  # by_day: one location's
    assert la["figures"] == LA_FIGURES and by_coordinator(la) == LA_COORDINATORS


def check_a_range_reaching_today_reads_the_live_levels(admin, month):
    """On 2 April P3 has signed F (1 April): NY has P2 and P3 with open plans, P1 completed."""
    with frozen_at(at("2025-04-02T12:00:00Z")):
        reply = admin.get(f"/kpis?location_id={month['ny']}&from=2025-04-01&to=2025-04-02")
    figures = reply.data["locations"][0]["figures"]
    assert figures["incomplete_treatment"] == {**ratio(0.6667, 2, 3), "as_of": "2025-04-02"}
    assert figures["case_acceptance_count"] == {**ratio(None, 0, 0), "declined": 0}  # F's cohort is March
    assert figures["days_to_acceptance"] == ratio(7.0, 7, 1)  # F: first presented 25 March, signed 1 April
    assert figures["no_show_rate"]["numerator"] == 1 and figures["followups_overdue"]["value"] is None


def check_a_group_range_reaching_today_reads_every_location_early_and_shows_the_same(admin, month):
    """A caller who sees every location gets the group's items read while the locations are listed (their
    levels too, before their time zones are known); one who sees some, read for those: the same figures."""
    with frozen_at(at("2025-04-02T12:00:00Z")):
        everything = admin.get("/kpis?from=2025-04-01&to=2025-04-02").data
        ny_only = admin.as_(role="readonly", locations=[month["ny"]]).get("/kpis?from=2025-04-01&to=2025-04-02").data
    ny = next(loc for loc in everything["locations"] if loc["location_id"] == month["ny"])
    assert ny["figures"]["incomplete_treatment"] == {**ratio(0.6667, 2, 3), "as_of": "2025-04-02"}
    assert [loc["figures"] for loc in ny_only["locations"]] == [ny["figures"]]
    assert everything["group"]["location_count"] == 2 and ny_only["group"]["location_count"] == 1


def check_the_csv_export(admin, month):
    with frozen_at(at("2025-04-02T12:00:00Z")):
        reply = admin.client.http.get(f"/kpis?{MARCH}", headers={
            "Authorization": f"Bearer {admin.token}", "Accept": "text/csv, application/json;q=0.5"})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert 'filename="kpis-2025-03-01-2025-03-31.csv"' in reply.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.body.decode())))
    assert [row["scope"] for row in rows] == ["group", "group_coordinator", "group_coordinator",
                                               "location", "location_coordinator", "location_coordinator",
                                               "location", "location_coordinator", "location_coordinator"]
    group, ny = rows[0], next(row for row in rows if row["location_id"] == month["ny"] and row["scope"] == "location")
    assert (group["case_acceptance_value"], group["case_acceptance_value.numerator"],
            group["case_acceptance_value.denominator"]) == ("0.6699", "345000", "515000")
    assert (ny["location_name"], ny["no_show_rate"], ny["collections"], ny["incomplete_treatment.as_of"]) == (
        "Riverside NY", "0.4", "50000", "2025-03-31")
    assert rows[1]["coordinator_id"] == "coord-a" and rows[1]["patients_closed_per_day.numerator"] == "4"
    assert rows[1]["collections"] == ""  # not a coordinator figure
    assert admin.get(f"/kpis?{MARCH}", headers={"Accept": "application/json, text/csv;q=0.1"}).status_code == 200


def check_visibility(admin, month):
    """A caller limited to one location sees only it; another group sees nothing."""
    la_only = admin.as_(role="readonly", locations=[month["la"]])
    with frozen_at(at("2025-04-02T12:00:00Z")):
        mine = la_only.get(f"/kpis?{MARCH}")
        assert la_only.get(f"/kpis?location_id={month['ny']}&{MARCH}").status_code == 404
        stranger = admin.as_(org="org_stranger0001")
        assert stranger.get(f"/kpis?location_id={month['ny']}&{MARCH}").status_code == 404
        theirs = stranger.get(f"/kpis?{MARCH}")
        assert admin.as_(role="front_desk").get(f"/kpis?{MARCH}").status_code == 403
    assert [loc["location_id"] for loc in mine.data["locations"]] == [month["la"]]
    assert mine.data["group"]["location_count"] == 1 and mine.data["group"]["figures"] == without_by_day(LA_FIGURES)
    assert theirs.status_code == 200 and theirs.data["locations"] == []
    assert theirs.data["group"]["location_count"] == 0
    assert theirs.data["group"]["figures"]["case_acceptance_count"] == {**ratio(None, 0, 0), "declined": 0}
    assert theirs.data["group"]["figures"]["collections"]["value"] == 0


@pytest.mark.parametrize("query, field", [
    ("from=2025-03-31&to=2025-03-01", "to"),
    ("from=2025-03-01&to=2026-03-02", "to"),  # 367 days
    ("from=2025-02-30&to=2025-03-01", "from"),
    ("from=1740787200&to=2025-03-01", "from"),
    ("from=2025-03-01", "to"),
    ("from=2025-03-01&to=2025-03-02&location_id=nope", "location_id"),
    ("from=2025-03-01&to=2025-03-02&format=csv", "format"),
])
def test_invalid_ranges_are_refused(admin, query, field):
    reply = admin.get(f"/kpis?{query}")
    assert reply.status_code == 400, reply.data
    assert field in {detail["field"] for detail in reply.data["error"]["details"]}


def test_a_leap_year_is_allowed(admin):
    reply = admin.get("/kpis?from=2024-03-01&to=2025-03-01")
    assert reply.status_code == 200 and reply.data["days"] == 366
