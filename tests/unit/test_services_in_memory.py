"""Service rules over the in-memory store (tests/fakes.py): the same services and repositories as in
production, no DynamoDB, milliseconds per test."""

from __future__ import annotations

import dataclasses

import pytest

from shared.auth import Principal
from shared.commands.locations import LocationCreate
from shared.commands.patients import PatientCreate, PatientPatch
from shared.commands.plans import PlanCreate
from shared.errors import NotFound, StaleVersion
from shared.services import locations, patients, plans
from shared.store import kpis as kpi_store
from tests.factories import location_body, patient_body, plan_body
from tests.fakes import memory_store

ADMIN = Principal(sub="coord-1", org="org_memory", role="admin", locations=("*",))


@pytest.fixture
def memory(monkeypatch):
    with memory_store(monkeypatch) as store:
        yield store


@pytest.fixture
def clinic(memory):
    location = locations.create(ADMIN, LocationCreate.model_validate(location_body()))
    return location, patients.create(ADMIN, PatientCreate.model_validate(patient_body(location.id)))


def test_a_patient_changes_only_at_the_version_read(clinic, memory):
    _, patient = clinic
    changed = patients.update(ADMIN, patient.id, PatientPatch(first_name="Anna", email=None), 1)
    assert (changed.version, changed.first_name, changed.email, changed.phone) == (2, "Anna", None, patient.phone)
    with pytest.raises(StaleVersion):
        patients.update(ADMIN, patient.id, PatientPatch(first_name="Ann"), 1)
    assert patients.get(ADMIN, patient.id).first_name == "Anna"
    items, _ = patients.list_for_location(ADMIN, patient.location_id, "nun", 10, None)
    assert [item.id for item in items] == [patient.id]


def test_what_a_caller_may_not_see_is_not_found(clinic):
    location, patient = clinic
    elsewhere = dataclasses.replace(ADMIN, org="org_other")
    ungranted = dataclasses.replace(ADMIN, locations=("loc_00000000000000000000000000",))
    for caller in (elsewhere, ungranted):
        with pytest.raises(NotFound):
            patients.get(caller, patient.id)
        with pytest.raises(NotFound):
            locations.get(caller, location.id)
        assert locations.list_visible(caller, 10, None) == ([], None)


def test_a_plan_signed_moves_its_kpi_counters_in_the_same_commit(clinic, memory):
    _, patient = clinic
    plan = plans.create(ADMIN, PlanCreate.model_validate(plan_body(patient.id)).model_dump(mode="json"))
    presented = plans.present(ADMIN, plan["id"], 30)
    with pytest.raises(StaleVersion):
        plans.edit(ADMIN, plan["id"], {"notes": "late"}, plan["version"])
    commits = memory.commits
    accepted = plans.accept(ADMIN, plan["id"], "Ana Núñez", presented["version"], None)
    assert accepted["status"] == "accepted" and memory.commits == commits + 1
    [day] = [counts for (pk, _), counts in memory.counters.items() if kpi_store.DAY_PARTITION in pk]
    [month] = [counts for (pk, _), counts in memory.counters.items() if kpi_store.ROLL_UP_PARTITIONS[True] in pk]
    for counts in (day, month):  # the location's counters, and its coordinator's on the same item
        assert counts["accepted"] == 1 and sum(n for name, n in counts.items() if name.endswith("#accepted")) == 1
