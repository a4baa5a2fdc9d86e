"""Small generic reads of `Record`s for the repositories: get one item, and one page of a query.

Each is a single GetItem or Query on a key or index; there is no Scan anywhere in here. Writes go
through a unit of work (`shared.store.unit_of_work`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist

from shared.domain.codec import from_json, to_json
from shared.store.table import INDEXES, Record

T = TypeVar("T")


@dataclass
class Page:
    records: list[Record]
    last_key: dict[str, Any] | None


def get(pk: str, sk: str, consistent: bool = False) -> Record | None:
    try:
        return Record.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


def typed(kind: type[T], record: Record) -> T:
    """A stored item as its domain value (a dataclass with a `version` field): the doc decoded by the
    domain's codec, and the item's version, which the item keeps outside its doc."""
    return from_json(kind, {**record.data(), "version": int(record.version)})


def typed_page(kind: type[T], page: Page) -> tuple[list[T], dict[str, Any] | None]:
    """A page of items as their domain values, and the key that continues it (None on the last page)."""
    return [typed(kind, record) for record in page.records], page.last_key


def document(value: Any) -> dict[str, Any]:
    """A domain value as the doc of its item: its JSON form without `version` (the item's own attribute)
    and without empty optional fields (left out rather than null, so items written before a field
    existed and after read alike)."""
    return {name: item for name, item in to_json(value).items() if item is not None and name != "version"}


BATCH_GET_LIMIT = 100  # keys in one BatchGetItem


def get_many(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
    """Items by (pk, sk), 100 keys a BatchGetItem; keys without an item are absent from the result."""
    wanted = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], Record] = {}
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        for record in Record.batch_get(wanted[start:start + BATCH_GET_LIMIT]):
            found[(record.pk, record.sk)] = record
    return found


def is_conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def query(
    pk: str,
    *,
    index: str | None = None,
    sk_prefix: str | None = None,
    limit: int = 50,
    start_key: dict[str, Any] | None = None,
    newest_first: bool = False,
    consistent: bool = False,
) -> Page:
    source = INDEXES[index] if index else Record
    range_attr = getattr(Record, f"{index}sk") if index else Record.sk
    condition = range_attr.startswith(sk_prefix) if sk_prefix else None
    # One item more than asked shows whether another page exists, so a last full page has no cursor.
    results = source.query(
        pk,
        range_key_condition=condition,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=start_key,
        scan_index_forward=not newest_first,
        **({"consistent_read": True} if consistent else {}),
    )
    records = list(results)
    if len(records) <= limit:
        return Page(records=records, last_key=None)
    return Page(records=records[:limit], last_key=_key_of(records[limit - 1], index))


def _key_of(record: Record, index: str | None) -> dict[str, Any]:
    """The exclusive start key that continues a query after `record` (table keys, plus the index's)."""
    names = ["pk", "sk"] + ([f"{index}pk", f"{index}sk"] if index else [])
    return {name: {"S": getattr(record, name)} for name in names}


__all__ = ["Page", "get", "get_many", "query", "is_conditional_failure", "typed", "typed_page", "document"]


def offset_key(org: str, list_name: str, offset: int) -> dict[str, Any]:
    """A list computed in memory pages by offset; its cursor carries the offset as a start key of the
    store's shape (shared/cursor.py accepts no other)."""
    return {"pk": {"S": f"{org}#{list_name}"}, "sk": {"S": str(offset)}}


def offset_of(start_key: dict[str, Any] | None) -> int:
    raw = str(((start_key or {}).get("sk") or {}).get("S", "0"))
    return int(raw) if raw.isascii() and raw.isdigit() else 0
