"""Idempotency keys for money-moving requests, kept on the single table (DESIGN.md section 3).

One item per key and group: pk `{org}#IDEM#{key}`, sk `IDEM`, `expires` (TTL) 24 hours after the first
request. Its `doc` holds the fingerprint of the request (a hash of the route, its path parameters and
the validated body), a status and, once done, the response the first request got.

How a request goes through `run`:

1. Claim the key with ONE conditional put (status `in_progress`, a random claim token, a short lease).
   It succeeds when the key is new, when its 24 hours are over (TTL deletion is lazy), or when an
   earlier claim's lease ran out (its Lambda died between claim and commit).
2. If the claim fails, read the item (consistently): another fingerprint is 422, a completed key is a
   replay of the stored response, a key still in progress is 409.
3. The caller's work adds `complete(uow, claim, ...)` to its unit of work: ONE TransactWriteItems.
   The completion is conditional on the item still being `in_progress` and held by this claim's
   token, so a request whose lease was taken over cannot also commit.
4. Any failure of the work releases the claim (a delete conditional on our token) so that a retry with
   the same key can proceed; only successful responses are stored and replayed.

The claim token also serves as the transaction's ClientRequestToken, so botocore's own retry of a
commit that did succeed is not refused by the conditions it has already satisfied.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from shared import clock
from shared.errors import Conflict, InvalidInput, NotFound, RuleViolation
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

SK = "IDEM"
KEY_LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # longer than any request may run (API Gateway stops at 29 s)
IN_PROGRESS, COMPLETED = "in_progress", "completed"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces, as in the IETF draft's examples
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


@dataclass(frozen=True)
class Outcome:
    response: StoredResponse
    replayed: bool


@dataclass(frozen=True)
class Claim:
    """This request's hold on a key: pass it to the work, which completes it in its transaction."""

    org: str
    key: str
    fingerprint: str
    token: str
    created_at: datetime
    expires: datetime


def complete(uow: UnitOfWork, claim: Claim, status: int, body: Any, *, location_id: str | None = None) -> None:
    """Add the completion of `claim` (with the response to replay) to the work's unit of work, on the
    condition that the key is still in progress and held by this claim."""
    record = _record(claim, COMPLETED, response={"status": status, "body": body}, location_id=location_id)
    uow.put(record, _still_ours(claim), conflict(
        "idempotency: another request took over this Idempotency-Key while this one ran; retry to see its outcome"))


def pk(org: str, key: str) -> str:
    return f"{org}#IDEM#{key}"


def check_key(key: str | None) -> str:
    """The header's value if well formed; InvalidInput otherwise (a missing key is the caller's 428)."""
    if key is None or not _KEY_RE.match(key):
        raise InvalidInput("Idempotency-Key must be 1-255 printable ASCII characters without spaces",
                           [{"field": "Idempotency-Key", "in": "header"}])
    return key


def fingerprint(route: str, params: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """A hash of what the request asks for: the same key with another request is refused."""
    canonical = json.dumps({"route": route, "params": dict(params), "body": dict(body)}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run(org: str, key: str, request_fingerprint: str, work: Callable[[Claim], StoredResponse],
        visible: Callable[[str | None], bool] = lambda _location: True) -> Outcome:
    """Do `work` once per key: the first request runs it, a repeat gets the stored response back.

    `visible(location_id)` says whether the caller may see what the stored response is about; a replay
    the caller may not see is not found, as anything else in a location the caller was not granted."""
    begun = _begin(org, key, request_fingerprint, visible)
    if isinstance(begun, StoredResponse):
        return Outcome(begun, replayed=True)
    try:
        response = work(begun)
    except BaseException:
        release(begun)
        raise
    return Outcome(response, replayed=False)


def release(claim: Claim) -> None:
    """Give the key back after a failed attempt; a no-op if the claim completed or was taken over."""
    try:
        Record(pk=pk(claim.org, claim.key), sk=SK).delete(condition=_still_ours(claim))
    except DeleteError as exc:
        if not records.is_conditional_failure(exc):
            raise


def _begin(org: str, key: str, request_fingerprint: str,
           visible: Callable[[str | None], bool]) -> Claim | StoredResponse:
    for _ in range(_CLAIM_ATTEMPTS):
        now = clock.now()
        claim = Claim(org, key, request_fingerprint, str(uuid.uuid4()), now, now + KEY_LIFETIME)
        claimable = (Record.pk.does_not_exist() | (Record.expires < now)
                     | ((Record.doc["status"] == IN_PROGRESS) & (Record.doc["lease_until"] < clock.iso(now))))
        try:
            _record(claim, IN_PROGRESS).save(condition=claimable)
            return claim
        except PutError as exc:
            if not records.is_conditional_failure(exc):
                raise
        existing = records.get(pk(org, key), SK, consistent=True)
        if existing is None:  # released or expired and deleted between our put and our read: try again
            continue
        doc = existing.data()
        if not visible(doc.get("location_id")):
            raise NotFound("not found")
        if doc["fingerprint"] != request_fingerprint:
            raise RuleViolation("idempotency: this Idempotency-Key was already used for a different request")
        if doc["status"] == COMPLETED:
            return StoredResponse(int(doc["response"]["status"]), doc["response"]["body"])
        raise Conflict("a request with this Idempotency-Key is still in progress; retry later")
    raise Conflict("the Idempotency-Key is being claimed and released concurrently; retry later")


def _record(claim: Claim, status: str, *, response: dict | None = None, location_id: str | None = None) -> Record:
    doc: dict[str, Any] = {"key": claim.key, "fingerprint": claim.fingerprint, "status": status,
                           "claim": claim.token, "created_at": clock.iso(claim.created_at),
                           "lease_until": clock.iso(claim.created_at + LEASE)}
    if response is not None:
        doc.update(response=response, completed_at=clock.now_iso())
    if location_id is not None:
        doc["location_id"] = location_id
    return Record(pk=pk(claim.org, claim.key), sk=SK, kind="idempotency", doc=doc, expires=claim.expires)


def _still_ours(claim: Claim) -> Any:
    return (Record.doc["status"] == IN_PROGRESS) & (Record.doc["claim"] == claim.token)
