"""One unit of work per request or job: the writes that belong together, committed all or nothing.

Repositories add writes to a `UnitOfWork` (a put of a new item, a put at the version that was read,
any other conditional put, a condition check on an item left unchanged, counters added to an item),
each with the domain error to raise when its own condition is what failed. `commit()` sends them as
ONE TransactWriteItems, or as a single conditional PutItem when there is only one put (far cheaper),
and turns a cancelled transaction into the error of the first write whose condition failed. Two
transactions racing for the same item is `Contention` (409): a retry may pass.

Inside an audited request (`shared.audit_log.auditing_writes`), a commit that writes anything also puts
the request's audit item (shared/store/audit.py), in the same transaction: a write never lands without
its audit, and the audit costs no request of its own (a single put becomes a two-item transaction).

A transaction may not hold two operations on one item. Counters added to the same item are merged
into one update (a payment, an appointment outcome and a plan change may all move one day's KPI item);
two puts of one item are a programming error (ValueError).

This is the only module that builds a pynamodb transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared import audit_log
from shared.errors import ChairsideError, Conflict, StaleVersion
from shared.store import audit, records
from shared.store.table import Record, connection

TRANSACTION_LIMIT = 100  # items in one TransactWriteItems

Failure = Callable[[], ChairsideError]
Actions = Callable[[Mapping[str, int]], list]


class Contention(Conflict):
    """DynamoDB cancelled the transaction because another one was writing the same item: a retry may pass."""


def conflict(message: str) -> Failure:
    return lambda: Conflict(message)


def stale(what: str) -> Failure:
    return lambda: StaleVersion(f"the {what} was changed by someone else since it was read; fetch it again")


NEW = "new"  # the expectation of a put that creates its item


@dataclass
class Put:
    """One pending put: `expected` is NEW, the version the item was read at, or None for any other
    condition (which only DynamoDB evaluates: see the store tests)."""

    record: Record
    condition: Any
    on_fail: Failure
    expected: int | str | None = None


@dataclass
class _Check:
    record: Record
    condition: Any
    on_fail: Failure


@dataclass
class _Counts:
    item: Model
    actions: Actions
    counts: Counter[str] = field(default_factory=Counter)


def _key(item: Model) -> tuple[str, str]:
    return item.pk, item.sk  # type: ignore[attr-defined]


class UnitOfWork:
    def __init__(self, client_request_token: str | None = None, race_message: str | None = None) -> None:
        """`client_request_token` makes a retry of the same commit idempotent; `race_message` is the
        message of the Contention raised when another transaction wrote one of the items meanwhile."""
        self.client_request_token = client_request_token
        self.race_message = race_message or "a concurrent request changed the same data; try again"
        self._checks: list[_Check] = []
        self._puts: list[Put] = []
        self._counts: dict[tuple[str, str], _Counts] = {}

    # --- adding writes ------------------------------------------------------------------------------

    def put(self, record: Record, condition: Any, on_fail: Failure, expected: int | str | None = None) -> Record:
        """A put of `record` under `condition`; `on_fail` is raised when that condition fails."""
        if any(_key(each.record) == _key(record) for each in (*self._puts, *self._checks)):
            raise ValueError(f"one unit of work holds one write per item: {_key(record)}")
        self._puts.append(Put(record, condition, on_fail, expected))
        return record

    def put_new(self, record: Record, on_fail: Failure | None = None, version: int = 1) -> Record:
        """Create an item; by default Conflict (409) when its key exists already."""
        record.version = version
        return self.put(record, Record.pk.does_not_exist(), on_fail or conflict(f"{record.kind} already exists"), NEW)

    def put_at(self, record: Record, read_version: int | None, on_fail: Failure | None = None,
               new_version: int | None = None) -> Record:
        """Write the item read at `read_version` (None: it did not exist), if nobody changed it since.
        By default StaleVersion (412) when somebody did."""
        if read_version is None:
            return self.put_new(record, on_fail, version=new_version or 1)
        record.version = read_version + 1 if new_version is None else new_version
        return self.put(record, Record.version == read_version, on_fail or stale(record.kind), read_version)

    def check(self, record: Record, condition: Any, on_fail: Failure) -> None:
        """Commit only if `condition` holds on the (unchanged) item with `record`'s key."""
        self._checks.append(_Check(record, condition, on_fail))

    def add_counts(self, item: Model, counts: Mapping[str, int], actions: Actions) -> None:
        """Add `counts` to the counters of `item` (created if missing): one update per item, however many
        times it is added to; `actions(counts)` builds the update's actions at commit."""
        held = self._counts.get(_key(item))
        if held is None:
            if not any(counts.values()):
                return
            held = self._counts[_key(item)] = _Counts(item, actions)
        held.counts.update(counts)

    @property
    def empty(self) -> bool:
        return not (self._puts or self._checks or self._counts)

    @property
    def puts(self) -> tuple[Put, ...]:
        return tuple(self._puts)

    @property
    def counts(self) -> dict[tuple[str, str], Counter[str]]:
        """The counters added, by item key (pk, sk)."""
        return {key: Counter(held.counts) for key, held in self._counts.items()}

    def clear(self) -> None:
        self._checks, self._puts, self._counts = [], [], {}

    @staticmethod
    def room() -> int:
        """Items a caller may add to one unit of work: a transaction's limit, less the audit item's place."""
        return TRANSACTION_LIMIT - (1 if audit_log.write_audit() is not None else 0)

    # --- committing --------------------------------------------------------------------------------

    def commit(self) -> None:
        if self.empty:
            return
        request = audit_log.write_audit()
        puts = self._puts + ([self._audit_put(request)] if request is not None and self._writes else [])
        if len(puts) == 1 and not self._checks and not self._counts:
            self._put_one(puts[0])
        else:
            self._transact(puts)
        if len(puts) > len(self._puts):
            request.items += 1  # type: ignore[union-attr]
        self.clear()

    @property
    def _writes(self) -> bool:
        return bool(self._puts or self._counts)  # condition checks alone write nothing

    def _audit_put(self, request: audit_log.WriteAudit) -> Put:
        """The request's audit item, naming the ids of what this commit writes."""
        written = [doc.get(name) for put in self._puts for doc in (put.record.data(),)
                   for name in ("id", "patient_id")]
        item = audit.item_for_writes(request, [str(value) for value in written if value])
        return Put(item, Record.pk.does_not_exist(), conflict("this request's audit item exists already"), NEW)

    def _put_one(self, put: Put) -> None:
        try:
            put.record.save(condition=put.condition)
        except PutError as exc:
            if records.is_conditional_failure(exc):
                raise put.on_fail() from exc
            raise

    def _transact(self, puts: list[Put]) -> None:
        # DynamoDB gets condition checks, then puts, then updates (pynamodb's order): the cancellation
        # reasons line up with `failures` below.
        failures = [check.on_fail for check in self._checks] + [put.on_fail for put in puts]
        try:
            with TransactWrite(connection=connection(), client_request_token=self.client_request_token) as tx:
                for check in self._checks:
                    tx.condition_check(Record, check.record.pk, check.record.sk, condition=check.condition)
                for put in puts:
                    tx.save(put.record, condition=put.condition)
                for held in self._counts.values():
                    tx.update(held.item, actions=held.actions(held.counts))
        except TransactWriteError as exc:
            codes = [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]
            for on_fail, code in zip(failures, codes, strict=False):
                if code == "ConditionalCheckFailed":
                    raise on_fail() from exc
            if "TransactionConflict" in codes or exc.cause_response_code == "TransactionConflictException":
                raise Contention(self.race_message) from exc
            raise
