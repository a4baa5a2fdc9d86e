"""In-memory stand-ins for the store, so service rules can be tested in milliseconds without DynamoDB.

`MemoryStore` keeps items in a dict and takes the place of the generic reads (`records.get`,
`records.query`) and of `UnitOfWork.commit`: the repositories and services above them run unchanged.
A commit applies the structural conditions every repository uses (a new item must not exist; a put
at a version needs that version), all or nothing, raising each write's own error; conditions on
document fields (a refund's remaining amount, an idempotency claim) are evaluated only by DynamoDB, so
the store tests (moto and DynamoDB Local, the `store` fixture) cover them. Counters are summed per item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import NEW, UnitOfWork


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Record] = {}
        self.counters: dict[tuple[str, str], Counter[str]] = {}
        self.commits = 0

    # --- reads, as shared.store.records answers them ----------------------------------------------------

    def get(self, pk: str, sk: str, consistent: bool = False) -> Record | None:
        return self.items.get((pk, sk))

    def query(self, pk: str, *, index: str | None = None, sk_prefix: str | None = None, limit: int = 50,
              start_key: dict[str, Any] | None = None, newest_first: bool = False,
              consistent: bool = False) -> records.Page:
        hash_name, range_name = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        found = sorted((item for item in self.items.values() if getattr(item, hash_name) == pk
                        and getattr(item, range_name) is not None
                        and getattr(item, range_name).startswith(sk_prefix or "")),
                       key=lambda item: (getattr(item, range_name), item.pk, item.sk), reverse=newest_first)
        if start_key:
            after = (start_key["pk"]["S"], start_key["sk"]["S"])
            position = next(i for i, item in enumerate(found) if (item.pk, item.sk) == after)
            found = found[position + 1:]
        page = found[:limit]
        more = len(found) > limit
        last = {"pk": {"S": page[-1].pk}, "sk": {"S": page[-1].sk}} if more else None
        return records.Page(records=page, last_key=last)

    # --- writes -----------------------------------------------------------------------------------------

    def commit(self, uow: UnitOfWork) -> None:
        for put in uow.puts:
            current = self.items.get((put.record.pk, put.record.sk))
            if (put.expected == NEW and current is not None) or (
                    isinstance(put.expected, int) and (current is None or int(current.version) != put.expected)):
                uow.clear()
                raise put.on_fail()
        for put in uow.puts:
            self.items[(put.record.pk, put.record.sk)] = _copy(put.record)
        for key, counts in uow.counts.items():
            self.counters.setdefault(key, Counter()).update(counts)
        self.commits += 1
        uow.clear()


def _copy(record: Record) -> Record:
    """What a later read gets: its own item, not the object the service still holds."""
    return Record(pk=record.pk, sk=record.sk, kind=record.kind, version=record.version, doc=dict(record.data()),
                  **{name: getattr(record, name) for name in ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk",
                                                              "gsi3sk") if getattr(record, name) is not None})


@contextmanager
def memory_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryStore]:
    store = MemoryStore()
    monkeypatch.setattr(records, "get", store.get)
    monkeypatch.setattr(records, "query", store.query)
    monkeypatch.setattr(UnitOfWork, "commit", lambda uow: store.commit(uow))
    yield store
