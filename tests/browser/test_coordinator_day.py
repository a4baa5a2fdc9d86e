"""A coordinator's day in a real browser against `chairside run`: sign in, worklist, patient, build a plan,
read its estimate, present it, send the patient's link, open it and sign (Spanish and English), book the
first step, see its reminders planned and the KPI move. Every screen is captured (test-artifacts/browser/)
and checked with axe-core."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.ddblocal, pytest.mark.browser]

BROOKLYN = ZoneInfo("America/New_York")
# The headings of the cards whose table is wider than its frame, and so scrolls sideways inside it.
CLIPPED_TABLES = ("[...document.querySelectorAll('.table-wrap')]"
                  ".filter((frame) => frame.scrollWidth > frame.clientWidth)"
                  ".map((frame) => frame.closest('section')?.querySelector('h2')?.textContent ?? 'a table')")


def watch(page, problems: list[str]) -> None:
    """Script errors, and anything the Content Security Policy refused, are problems."""
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)


def _kpi(page, key: str) -> str:
    return page.locator(f"tr[data-kpi={key}] td").nth(1).inner_text()


def test_a_coordinators_day(stack, new_context, screens):
    context = new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    problems = []
    watch(page, problems)
    violations: dict[str, list] = {}

    # Sign in (local: a demo group, a role, all locations). The console comes with the headers CloudFront adds.
    served = page.goto(f"{stack}/console/")
    assert served.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert served.headers["x-frame-options"] == "DENY" and served.headers["referrer-policy"] == "no-referrer"
    page.get_by_label("Role", exact=True).select_option("coordinator")
    page.get_by_label("Your user name", exact=True).fill("coord-ana")
    violations["sign-in"] = screens.check(page, "01-sign-in")
    page.get_by_role("button", name="Sign in").click()

    # The KPIs before: no case presented yet at Brooklyn.
    page.get_by_role("link", name="KPIs").click()
    page.get_by_label("Scope", exact=True).select_option(label="Chairside Demo Dental - Brooklyn")
    page.locator("tr[data-kpi=case_acceptance_count]").wait_for()
    assert _kpi(page, "case_acceptance_count") == "0 of 0"

    # The worklist, then a patient.
    page.get_by_role("link", name="Worklist").click()
    page.get_by_role("heading", name="Worklist").wait_for()
    missed = page.locator("table tr").filter(has_text="No show")  # the demo's missed visit, by the patient's name
    missed.get_by_role("link", name="James Okafor").wait_for()
    page.get_by_label("Find a patient by name", exact=True).fill("Garcia")
    page.get_by_role("link", name="Garcia, Maria").wait_for()
    violations["worklist"] = screens.check(page, "02-worklist")
    page.get_by_role("link", name="Garcia, Maria").click()
    page.get_by_role("heading", name="Maria Garcia").wait_for()
    # Her coverage with this benefit year's usage (the benefits engine's ledger), and her past treatment.
    coverage = page.locator("tr").filter(has_text="Demo Dental PPO")
    expect(coverage.locator("td[data-remaining='1']")).to_have_text("$1,300.00")  # $1,500 maximum, $200 used
    cleaned = (datetime.now(BROOKLYN) - timedelta(days=60)).date().isoformat()
    page.get_by_label("CDT code", exact=True).fill("D1110")
    page.get_by_label("Date done", exact=True).fill(cleaned)
    page.get_by_role("button", name="Add past treatment").click()
    page.locator("li").filter(has_text="D1110").get_by_text("(imported)").wait_for()
    violations["patient"] = screens.check(page, "03-patient")
    # At 1440 px the whole patient screen shows: neither the page nor a table in its card scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    assert page.evaluate(CLIPPED_TABLES) == []

    # Build a plan from the CDT catalog: an exam, then a crown on tooth 3 in a second phase.
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Search CDT codes", exact=True).fill("D0150")
    page.get_by_role("button", name=re.compile("^Add D0150")).click()
    page.get_by_role("button", name="Add a phase").click()
    page.get_by_label("Search CDT codes", exact=True).fill("crown")
    page.get_by_role("button", name=re.compile("^Add D2740")).click()
    page.get_by_label("Tooth for D2740", exact=True).fill("3")
    violations["plan-builder"] = screens.check(page, "04-plan-builder")
    page.get_by_role("button", name="Create plan").click()

    # The estimate, line by line, with the limit that bit explained.
    page.get_by_role("heading", name="Insurance estimate").wait_for()
    estimate = page.locator("table.estimate")
    estimate.get_by_text("D2740").wait_for()
    insurance_total = estimate.locator("tfoot td").nth(3).inner_text()
    assert re.fullmatch(r"\$[\d,]+\.\d\d", insurance_total) and insurance_total != "$0.00"
    crown = estimate.locator("tbody tr").filter(has_text="D2740")
    assert "goes to the deductible" in crown.inner_text()  # the engine's own reason (shared/domain/benefits)
    page.get_by_role("button", name="Present the plan").click()
    page.get_by_text("Frozen with quote 1").wait_for()
    page.get_by_role("heading", name="Pay in full").wait_for()
    page.get_by_text("Deferred interest", exact=True).first.wait_for()
    phasing = page.locator("table.phasing")  # the proposal across benefit years, phase by phase
    expect(phasing.locator("tbody tr")).to_have_count(2)
    violations["plan"] = screens.check(page, "05-plan-presented")

    # The installment calculator asks the API for the schedule.
    page.get_by_label("Installments", exact=True).fill("4")
    page.get_by_role("button", name="Calculate and set terms").click()
    page.get_by_text("Installment schedule: 4 monthly payments").first.wait_for()

    # The patient gets a link by email, opens it and signs (in Spanish, her language).
    page.get_by_label("Send by", exact=True).select_option("sms")  # she has not agreed to texts about treatment
    page.get_by_role("button", name="Send signing link").click()
    page.get_by_text("has not consented to sms about their treatment").wait_for()
    page.get_by_label("Send by", exact=True).select_option("email")
    page.get_by_role("button", name="Send signing link").click()
    with context.expect_page() as opened:
        page.get_by_role("link", name="Open the patient's page").click()
    patient_page = opened.value
    watch(patient_page, problems)
    patient_page.get_by_role("heading", name="Su plan de tratamiento").wait_for()
    patient_page.get_by_text("Corona").first.wait_for()
    violations["sign-es"] = screens.check(patient_page, "06-patient-sign-es")
    patient_page.get_by_label("Idioma", exact=True).select_option("en")
    patient_page.get_by_role("heading", name="Your treatment plan").wait_for()
    violations["sign-en"] = screens.check(patient_page, "07-patient-sign-en")
    patient_page.get_by_label("Your full name", exact=True).fill("Maria Garcia")
    patient_page.get_by_label("Use my typed name as my signature", exact=True).check()
    patient_page.get_by_label(re.compile("^I have read this plan")).check()
    patient_page.get_by_role("button", name="Sign the plan").click()
    patient_page.get_by_text("Your signature is recorded").wait_for()
    violations["signed"] = screens.check(patient_page, "08-patient-signed")
    patient_page.reload()
    patient_page.get_by_text("Su firma quedó registrada").wait_for()  # the link now shows only what was signed
    patient_page.close()
    page.reload()
    page.get_by_text("signed by Maria Garcia").wait_for()
    page.get_by_role("link", name="Book the accepted steps").click()
    visit_day = (datetime.now(BROOKLYN) + timedelta(days=3)).date().isoformat()
    page.get_by_label("Day", exact=True).fill(visit_day)
    page.get_by_label("Patient", exact=True).select_option(label="Garcia, Maria")
    page.get_by_label("Plan (optional)", exact=True).select_option(index=1)
    page.get_by_label(re.compile("D0150")).check()
    page.get_by_label(re.compile("^Start")).fill("10:30")
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("10:30 AM").wait_for()
    page.get_by_role("button", name="Show reminders").click()
    reminders = page.locator("table").filter(has_text="Reminder 2d")
    reminders.wait_for()
    assert reminders.get_by_text("planned").count() >= 2
    violations["schedule"] = screens.check(page, "09-schedule")

    # The outbox of the day the 2-day reminders go.
    send_day = (datetime.fromisoformat(visit_day) - timedelta(days=2)).date().isoformat()
    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Send date", exact=True).fill(send_day)
    page.get_by_text("Reminder 2d").first.wait_for()
    violations["messages"] = screens.check(page, "10-messages")

    # The KPI moved: one case presented and accepted.
    page.get_by_role("link", name="KPIs").click()
    page.get_by_label("Scope", exact=True).select_option(label="Chairside Demo Dental - Brooklyn")
    page.locator("tr[data-kpi=case_acceptance_count]").wait_for()
    expect(page.locator("tr[data-kpi=case_acceptance_count] td").nth(1)).to_contain_text("1 of")
    assert _kpi(page, "case_acceptance_count") == "1 of 1"
    violations["kpis"] = screens.check(page, "11-kpis")

    # The same screens stay usable on a phone: nothing wider than 390 px.
    page.set_viewport_size({"width": 390, "height": 844})
    for title in ("KPIs", "Schedule", "Worklist"):
        page.get_by_role("link", name=title).click()
        page.get_by_role("heading", name=title, level=1).wait_for()  # rendered (so its loading notes show)
        name = title.lower()
        screens.check(page, f"12-{name}-390px")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways at 390 px"
    # The crown she accepted but has not booked is a treatment opportunity, named by its patient.
    opportunity = page.locator("tr").filter(has_text="Unscheduled steps")
    opportunity.get_by_role("link", name="Maria Garcia").wait_for()

    assert problems == []
    assert {name: found for name, found in violations.items() if found} == {}
