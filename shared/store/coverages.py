"""Writes of a patient's coverages (`PUT|DELETE /patients/{id}/coverages/{rank}`): items of the patient's
partition described in shared/store/benefits.py, which reads them for estimates.

Kept apart from that module because deleting is only the API's: the jobs that read benefits (follow-ups,
messages) reach shared/store/benefits.py and so hold none of these rights (infra/access.py grants a
function what the modules it reaches can call).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError

from shared.store import records
from shared.store.benefits import coverage_sk, pk
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork


def coverage_record(org: str, patient_id: str, rank: int, doc: dict[str, Any]) -> Record:
    return Record(pk=pk(org, patient_id), sk=coverage_sk(rank), kind="coverage", doc=doc)


def put_coverage(uow: UnitOfWork, org: str, patient_id: str, rank: int, doc: dict[str, Any],
                 read_version: int | None, on_fail: Failure | None = None) -> Record:
    """The coverage of `rank`, new or replacing the one read at `read_version`."""
    return uow.put_at(coverage_record(org, patient_id, rank, doc), read_version, on_fail)


def check_coverage(uow: UnitOfWork, record: Record, on_fail: Failure) -> None:
    """Commit only if the coverage is still the version read (another rank's write depends on it)."""
    uow.check(record, Record.version == int(record.version), on_fail)


def delete_coverage(record: Record, on_fail: Failure) -> None:
    """Delete the coverage read, only if nobody changed it since (one conditional DeleteItem)."""
    try:
        record.delete(condition=Record.version == int(record.version))
    except DeleteError as exc:
        if records.is_conditional_failure(exc):
            raise on_fail() from exc
        raise
