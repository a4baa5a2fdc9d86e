"""Repository of a plan's third-party money records: financing applications and insurance claims
(and predeterminations). Keys in docs/DATA-MODEL.md ("Payments")."""

from __future__ import annotations

from typing import Any

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


def financing_record(org: str, doc: dict[str, Any], version: int) -> Record:
    return Record(pk=financing_pk(org, doc["id"]), sk=FINANCING, kind="financing", doc=doc, version=version,
                  gsi1pk=children_of_plan(org, doc["plan_id"], "FINANCING"), gsi1sk=f"{doc['created_at']}#{doc['id']}")


def claim_record(org: str, doc: dict[str, Any], version: int) -> Record:
    return Record(pk=claim_pk(org, doc["id"]), sk=CLAIM, kind="claim", doc=doc, version=version,
                  gsi1pk=children_of_plan(org, doc["plan_id"], "CLAIMS"), gsi1sk=f"{doc['created_at']}#{doc['id']}")


def load_financing(org: str, financing_id: str) -> Record | None:
    return records.get(financing_pk(org, financing_id), FINANCING) if has_prefix(financing_id, "fin") else None


def load_claim(org: str, claim_id: str) -> Record | None:
    return records.get(claim_pk(org, claim_id), CLAIM) if has_prefix(claim_id, "clm") else None


def put_financing(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    return uow.put_at(financing_record(org, doc, 0), read_version, stale("financing application"))


def put_claim(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    on_fail = conflict("claim exists") if read_version is None else stale("claim")
    return uow.put_at(claim_record(org, doc, 0), read_version, on_fail)
