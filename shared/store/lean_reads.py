"""Reads of many small items, their answers left in DynamoDB's wire form: BatchGetItem by key and Query
of whole partitions, several requests at once.

botocore checks every attribute value of an answer against the service model, which costs more CPU than
everything else a KPI report does. While a thread reads here, the items of the answer are handed over as
DynamoDB's JSON (attribute values stay in their wire form, which the callers read: `{"N": "12"}`), and
botocore parses only the rest of the answer.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from shared.store.table import Record

BATCH_KEYS = 100  # DynamoDB's limit of keys in one BatchGetItem
Raw = Mapping[str, Mapping[str, Any]]
Key = tuple[str, str]
Read = Callable[[], list[Raw]]  # one request's worth of reading (or one partition's pages)

_lean = threading.local()
_LEAN_HANDLER = "chairside-lean-items"


def _hand_over_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """botocore's before-parse hook: while this thread reads lean, take the items out of the answer
    before botocore parses it and give them back as they came."""
    if not getattr(_lean, "active", False) or response_dict.get("status_code") != 200:
        return
    body = json.loads(response_dict["body"])
    for name in ("Responses", "Items"):  # BatchGetItem's, Query's
        if name in body:
            customized_response_dict[name] = body.pop(name)
            response_dict["body"] = json.dumps(body).encode()


def _install() -> None:
    """Register the hook on the table's client (once per client: a unique id), before any thread reads."""
    client = Record._get_connection().connection.client
    for operation in ("BatchGetItem", "Query"):
        client.meta.events.register(f"before-parse.dynamodb.{operation}", _hand_over_items,
                                    unique_id=f"{_LEAN_HANDLER}-{operation}")


@contextmanager
def lean() -> Iterator[None]:
    """Answers of this thread's BatchGetItem and Query calls come back in wire form."""
    _install()
    _lean.active = True
    try:
        yield
    finally:
        _lean.active = False


def batch_get(keys: Sequence[Key], concurrency: int = 8, consistent: bool = False) -> dict[Key, Raw]:
    """The items of these keys (absent ones left out): requests of 100 keys, `concurrency` at a time,
    unprocessed keys asked again."""
    return gather(key_reads(keys, consistent), concurrency)


def key_reads(keys: Sequence[Key], consistent: bool = False) -> list[Read]:
    unique = list(dict.fromkeys(keys))  # BatchGetItem refuses a key asked twice
    return [functools.partial(_get_chunk, unique[i:i + BATCH_KEYS], consistent)
            for i in range(0, len(unique), BATCH_KEYS)]


def partition_read(pk: str, attributes: Sequence[str] | None = None) -> Read:
    """Every item of one partition (paged beyond 1 MB), or these attributes of them."""
    return functools.partial(_query_all, pk, list(attributes) if attributes else None)


def gather(reads: Sequence[Read], concurrency: int) -> dict[Key, Raw]:
    """Run the reads, `concurrency` at a time; their items by key."""
    return {(raw["pk"]["S"], raw["sk"]["S"]): raw for page in pages(reads, concurrency) for raw in page}


def pages(reads: Sequence[Read], concurrency: int) -> Iterator[list[Raw]]:
    """Run the reads, `concurrency` at a time, and yield each one's items as it completes (the caller
    works on one while DynamoDB answers the others)."""
    if not reads:
        return
    _install()
    if len(reads) == 1 or concurrency <= 1:
        yield from (read() for read in reads)
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, len(reads))) as pool:
        for done in as_completed([pool.submit(read) for read in reads]):
            yield done.result()


def _get_chunk(keys: Sequence[Key], consistent: bool) -> list[Raw]:
    table = Record._get_connection()
    wanted = [{"pk": pk, "sk": sk} for pk, sk in keys]
    found: list[Raw] = []
    with lean():
        for attempt in range(8):
            answer = table.batch_get_item(wanted, consistent_read=consistent)
            found += answer.get("Responses", {}).get(Record.Meta.table_name, [])
            unprocessed = answer.get("UnprocessedKeys", {}).get(Record.Meta.table_name, {}).get("Keys", [])
            if not unprocessed:
                return found
            wanted = [{"pk": key["pk"]["S"], "sk": key["sk"]["S"]} for key in unprocessed]
            time.sleep(0.05 * 2 ** attempt)  # DynamoDB's advice for unprocessed keys: back off, then ask again
    raise RuntimeError(f"DynamoDB left {len(wanted)} keys unprocessed after 8 attempts")


def _query_all(pk: str, attributes: list[str] | None) -> list[Raw]:
    table = Record._get_connection()
    found: list[Raw] = []
    start: dict | None = None
    with lean():
        while True:
            page = table.query(pk, exclusive_start_key=start, attributes_to_get=attributes)
            found += page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return found
