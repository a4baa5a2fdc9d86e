"""Persistence of signing links and the signatures made through them.

- A link: pk `SYSTEM#SIGNLINK#{link id}`, sk `LINK`. The patient's token names only the link id (a short
  token fits an SMS), so the link is found by GetItem on that key without knowing the group; its document
  carries the group, plan, version, expiry and, once signed, `used_at`. Like the contact directory, it is
  system metadata reached only through a token whose MAC was checked first.
- A signature: pk `{org}#PLN#{plan_id}` (the plan's own partition), sk `SIGNATURE#{version:06d}`: one per
  plan version, so a version can be signed once whatever the number of links.
"""

from __future__ import annotations

from typing import Any

from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

LINK = "LINK"


def link_pk(link_id: str) -> str:
    return f"SYSTEM#SIGNLINK#{link_id}"


def signature_sk(version: int) -> str:
    return f"SIGNATURE#{version:06d}"


def load_link(link_id: str) -> Record | None:
    return records.get(link_pk(link_id), LINK, consistent=True)


def put_new_link(uow: UnitOfWork, doc: dict[str, Any]) -> None:
    uow.put_new(Record(pk=link_pk(doc["link_id"]), sk=LINK, kind="signing_link", doc=doc))


def put_used_link(uow: UnitOfWork, record: Record, doc: dict[str, Any]) -> None:
    """The link, used: only if nobody used it since it was read (a second signature is a 409)."""
    uow.put_at(Record(pk=record.pk, sk=LINK, kind="signing_link", doc=doc), int(record.version),
               conflict("this link was already used to sign"))


def put_signature(uow: UnitOfWork, plan_pk: str, doc: dict[str, Any]) -> None:
    uow.put_new(Record(pk=plan_pk, sk=signature_sk(doc["version"]), kind="signature", doc=doc),
                conflict("this version of the plan is already signed"))


def load_signature(plan_pk: str, version: int) -> Record | None:
    return records.get(plan_pk, signature_sk(version))
