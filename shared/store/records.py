"""Small generic operations on `Record`s: get, conditional create/replace, and one page of a query.

Each is a single GetItem, PutItem or Query on a key or index; there is no Scan anywhere in here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from shared.errors import Conflict, StaleVersion
from shared.store.table import INDEXES, Record, transaction


@dataclass
class Page:
    records: list[Record]
    last_key: dict[str, Any] | None


def get(pk: str, sk: str, consistent: bool = False) -> Record | None:
    try:
        return Record.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


def is_conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def create(record: Record, version: int = 1) -> Record:
    """Put a new item; fails with Conflict if the key exists already."""
    record.version = version
    try:
        record.save(condition=Record.pk.does_not_exist())
    except PutError as exc:
        if is_conditional_failure(exc):
            raise Conflict("resource already exists") from exc
        raise
    return record


def replace(record: Record, expected_version: int, new_version: int | None = None) -> Record:
    """Write a new state of an existing item if nobody changed it since `expected_version`."""
    record.version = expected_version + 1 if new_version is None else new_version
    try:
        record.save(condition=Record.version == expected_version)
    except PutError as exc:
        if is_conditional_failure(exc):
            raise StaleVersion("the resource was changed by someone else; fetch it again") from exc
        raise
    return record


def query(
    pk: str,
    *,
    index: str | None = None,
    sk_prefix: str | None = None,
    limit: int = 50,
    start_key: dict[str, Any] | None = None,
    newest_first: bool = False,
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
    )
    records = list(results)
    if len(records) <= limit:
        return Page(records=records, last_key=None)
    return Page(records=records[:limit], last_key=_key_of(records[limit - 1], index))


def _key_of(record: Record, index: str | None) -> dict[str, Any]:
    """The exclusive start key that continues a query after `record` (table keys, plus the index's)."""
    names = ["pk", "sk"] + ([f"{index}pk", f"{index}sk"] if index else [])
    return {name: {"S": getattr(record, name)} for name in names}


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Per item of a cancelled transaction: None, 'ConditionalCheckFailed', 'TransactionConflict', ..."""
    return [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]


def is_transaction_race(exc: TransactWriteError) -> bool:
    """DynamoDB cancelled the transaction because another one was writing one of its items."""
    return ("TransactionConflict" in cancellation_codes(exc)
            or exc.cause_response_code == "TransactionConflictException")


def transact(build: Callable[[TransactWrite], None], stale_message: str,
             client_request_token: str | None = None) -> None:
    """Run one TransactWriteItems. A failed condition is StaleVersion (412); two transactions racing
    for the same item is Conflict (409). `client_request_token` makes a retry of the same call idempotent."""
    try:
        with transaction(client_request_token) as tx:
            build(tx)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if "ConditionalCheckFailed" in codes:
            raise StaleVersion(stale_message) from exc
        if is_transaction_race(exc):
            raise Conflict("a concurrent request changed the same data; try again") from exc
        raise


__all__ = ["Page", "get", "create", "replace", "query", "is_conditional_failure", "UpdateError", "transact",
           "cancellation_codes", "is_transaction_race"]
