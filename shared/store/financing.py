"""Repository of a plan's third-party money records: financing applications and insurance claims
(and predeterminations). Keys in docs/DATA-MODEL.md ("Payments")."""

from __future__ import annotations

from shared import clock
from shared.domain.claim_lifecycle import InsuranceClaim
from shared.domain.financing_lifecycle import FinancingApplication
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict, stale

FINANCING, CLAIM = "FINANCING", "CLAIM"


def financing_pk(org: str, financing_id: str) -> str:
    return f"{org}#FIN#{financing_id}"


def claim_pk(org: str, claim_id: str) -> str:
    return f"{org}#CLM#{claim_id}"


def children_of_plan(org: str, plan_id: str, what: str) -> str:
    """Index key of a plan's financing applications (`FINANCING`) or claims (`CLAIMS`)."""
    return f"{org}#PLN#{plan_id}#{what}"


def financing_record(org: str, application: FinancingApplication) -> Record:
    return Record(pk=financing_pk(org, application.id), sk=FINANCING, kind="financing",
                  doc=records.document(application), version=application.version,
                  gsi1pk=children_of_plan(org, application.plan_id, "FINANCING"),
                  gsi1sk=f"{clock.iso(application.created_at)}#{application.id}")


def claim_record(org: str, claim: InsuranceClaim) -> Record:
    return Record(pk=claim_pk(org, claim.id), sk=CLAIM, kind="claim", doc=records.document(claim),
                  version=claim.version, gsi1pk=children_of_plan(org, claim.plan_id, "CLAIMS"),
                  gsi1sk=f"{clock.iso(claim.created_at)}#{claim.id}")


def load_financing(org: str, financing_id: str) -> FinancingApplication | None:
    record = records.get(financing_pk(org, financing_id), FINANCING) if has_prefix(financing_id, "fin") else None
    return records.typed(FinancingApplication, record) if record else None


def load_claim(org: str, claim_id: str) -> InsuranceClaim | None:
    record = records.get(claim_pk(org, claim_id), CLAIM) if has_prefix(claim_id, "clm") else None
    return records.typed(InsuranceClaim, record) if record else None


def put_financing(uow: UnitOfWork, org: str, application: FinancingApplication, read_version: int | None) -> None:
    """The application, new (read_version None) or changed from the version read (StaleVersion if not)."""
    uow.put_at(financing_record(org, application), read_version, stale("financing application"))


def put_claim(uow: UnitOfWork, org: str, claim: InsuranceClaim, read_version: int | None) -> None:
    """The claim, new (read_version None: Conflict if its id exists) or changed from the version read."""
    on_fail = conflict("claim exists") if read_version is None else stale("claim")
    uow.put_at(claim_record(org, claim), read_version, on_fail)
