"""Repository of a patient's benefits: coverages by rank, procedure history and claim usage, all items of
the patient's partition (pk `{org}#PAT#{patient_id}`) so that ONE Query reads what an estimate needs.

Coverage (`kind` "coverage"): sk `COVERAGE` for rank 1 (the key it always had), `COVERAGE#2` for rank 2.
History item (`kind` "history"): sk `HISTORY#{date}#{id}`; a completed step's are `hst_{step_id}_{n}`, so
completing a step twice cannot record it twice.
Usage entry (`kind` "usage"): sk `USAGE#{claim_id}`: what a claim books against its coverage's rank
(pending, paid, or released when the claim leaves submitted without being paid).

The estimate's read is one Query of the partition: the appointment book (the dates of scheduled steps),
the coverages, the history, the profile (date of birth) and the usage are all it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain.patients import Patient
from shared.store import patients, records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork

COVERAGE, HISTORY, USAGE = "COVERAGE", "HISTORY#", "USAGE#"
BOOK = "APPOINTMENTS"  # the appointment book (shared/store/appointments.py)
PAGE_ITEMS = 1000


def pk(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}"


def coverage_sk(rank: int) -> str:
    return COVERAGE if rank == 1 else f"{COVERAGE}#{rank}"


def rank_of(sk: str) -> int:
    return 1 if sk == COVERAGE else int(sk.rsplit("#", 1)[1])


@dataclass
class PatientFile:
    """The benefit-related items of one patient, as one Query returned them."""

    profile: Patient | None = None
    book: dict[str, Any] | None = None
    coverages: dict[int, Record] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)


def load_file(org: str, patient_id: str, consistent: bool = False) -> PatientFile:
    """One Query of the whole patient partition (further pages only past 1 MB or 1000 items): the book,
    the coverages, the history, the profile and the usage are all the partition holds."""
    found = PatientFile()
    start_key = None
    while True:
        page = records.query(pk(org, patient_id), limit=PAGE_ITEMS, start_key=start_key, consistent=consistent)
        for record in page.records:
            _file(found, record)
        if page.last_key is None:
            return found
        start_key = page.last_key


def _file(found: PatientFile, record: Record) -> None:
    sk = record.sk
    if sk == "PROFILE":
        found.profile = patients.of(record)
    elif sk == BOOK:
        found.book = record.data()
    elif sk.startswith(COVERAGE):
        found.coverages[rank_of(sk)] = record
    elif sk.startswith(HISTORY):
        found.history.append(record.data())
    elif sk.startswith(USAGE):
        found.usage.append(record.data())


def coverages(org: str, patient_id: str, consistent: bool = False) -> dict[int, Record]:
    page = records.query(pk(org, patient_id), sk_prefix=COVERAGE, limit=10, consistent=consistent)
    return {rank_of(record.sk): record for record in page.records}


def history_record(org: str, patient_id: str, doc: dict[str, Any]) -> Record:
    return Record(pk=pk(org, patient_id), sk=f"{HISTORY}{doc['date']}#{doc['id']}", kind="history", doc=doc)


def put_history(uow: UnitOfWork, org: str, patient_id: str, doc: dict[str, Any], on_fail: Failure) -> Record:
    return uow.put_new(history_record(org, patient_id, doc), on_fail)


def history_page(org: str, patient_id: str, limit: int, start_key: dict | None) -> records.Page:
    return records.query(pk(org, patient_id), sk_prefix=HISTORY, limit=limit, start_key=start_key,
                         newest_first=True)


def usage_record(org: str, patient_id: str, doc: dict[str, Any]) -> Record:
    return Record(pk=pk(org, patient_id), sk=f"{USAGE}{doc['claim_id']}", kind="usage", doc=doc)


def load_usage(org: str, patient_id: str, claim_id: str) -> Record | None:
    return records.get(pk(org, patient_id), f"{USAGE}{claim_id}", consistent=True)


def put_usage(uow: UnitOfWork, org: str, patient_id: str, doc: dict[str, Any], read_version: int | None,
              on_fail: Failure) -> Record:
    return uow.put_at(usage_record(org, patient_id, doc), read_version, on_fail)
