"""What every lifecycle shares: a transition table and the one error for a move it does not allow.

A lifecycle is a table `operation -> {status it applies to: statuses it can leave the record in}`. An
operation asked of a record in any other status raises `IllegalTransition`, a RuleViolation (HTTP 422)
whose message names the rule ("appointment lifecycle: cannot confirm an appointment that is cancelled
..."). Each record kind has its module (plan_lifecycle, appointment_lifecycle, financing_lifecycle,
claim_lifecycle, outbox_lifecycle) holding its statuses, its table and the operations on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, TypeVar

from shared.errors import RuleViolation

StatusT = TypeVar("StatusT", bound=StrEnum)
OperationT = TypeVar("OperationT", bound=StrEnum)


class IllegalTransition(RuleViolation):
    """The operation is not allowed from the record's current status (HTTP 422)."""

    def __init__(
        self, rule: str, operation: str, subject: str, status: str, allowed_from: Iterable[str], hint: str = ""
    ) -> None:
        allowed = ", ".join(allowed_from) or "none"
        message = f"{rule}: cannot {operation} {subject} that is {status} (allowed from: {allowed})"
        super().__init__(f"{message}; {hint}" if hint else message)
        self.rule = rule
        self.operation = operation
        self.status = status


@dataclass(frozen=True)
class Lifecycle(Generic[StatusT, OperationT]):
    """A transition table and its checks. `rule` names it in refusals ("claim lifecycle"), `subject` is
    how a record reads in them ("a claim")."""

    rule: str
    subject: str
    table: Mapping[OperationT, Mapping[StatusT, frozenset[StatusT]]]

    def __post_init__(self) -> None:
        frozen = {op: MappingProxyType({s: frozenset(to) for s, to in moves.items()})
                  for op, moves in self.table.items()}
        object.__setattr__(self, "table", MappingProxyType(frozen))

    def allowed_from(self, operation: OperationT) -> frozenset[StatusT]:
        """The statuses `operation` applies to."""
        return frozenset(self.table[operation])

    def allows(self, status: str, operation: OperationT) -> bool:
        return status in self.table[operation]

    def require(self, status: str, operation: OperationT, hint: str = "") -> frozenset[StatusT]:
        """The statuses `operation` can leave a record in that is `status`; IllegalTransition when the
        operation does not apply to it."""
        moves = self.table[operation]
        if status not in moves:
            allowed = [str(s) for s in moves]
            raise IllegalTransition(self.rule, str(operation), self.subject, str(status), allowed, hint)
        return moves[status]  # type: ignore[index]

    def move(self, status: str, operation: OperationT, to: StatusT | None = None) -> StatusT:
        """The status after `operation` on a record that is `status`: `to` when given (it must be one the
        table allows), else the only one the table allows."""
        targets = self.require(status, operation)
        if to is None:
            if len(targets) != 1:
                raise ValueError(f"{self.rule}: {operation} from {status} has several outcomes; name one")
            return next(iter(targets))
        if to not in targets:
            raise ValueError(f"{self.rule}: {operation} from {status} cannot give {to}")
        return to

    def next_status(self, status: str, wanted: str | None) -> str:
        """The status a PATCH that names the status it wants leaves a record in: `status` itself when it
        names none or the same one, else `wanted` when an operation leads there from `status`;
        IllegalTransition (naming the operation that would, and the statuses it applies to) otherwise."""
        if wanted is None or wanted == status:
            return status
        return self.check_move(status, wanted)

    def check_move(self, status: str, wanted: str) -> str:
        """`wanted` when some operation takes a record that is `status` there (staying put included)."""
        leading_there = [op for op, moves in self.table.items() if any(wanted in to for to in moves.values())]
        for operation in leading_there:
            if wanted in self.table[operation].get(status, ()):  # type: ignore[call-overload]
                return wanted
        reachable = sorted({str(to) for moves in self.table.values() for to in moves.get(status, ())})  # type: ignore[call-overload]
        hint = f"from {status} it can become {', '.join(reachable)}" if reachable else f"{status} is final"
        operation = str(leading_there[0]) if leading_there else f"mark as {wanted}"
        sources = [str(s) for op in leading_there for s in self.table[op]]
        raise IllegalTransition(self.rule, operation, self.subject, str(status), dict.fromkeys(sources), hint)


@dataclass(frozen=True)
class StatusChange:
    """One entry of a record's status history (financing applications, claims): who moved it, and when."""

    status: str
    at: datetime
    by: str


def with_change(history: tuple[StatusChange, ...], status: str, at: datetime, by: str) -> tuple[StatusChange, ...]:
    """The history with a move to `status` appended, unless that is where the record already was."""
    if history and history[-1].status == status:
        return history
    return (*history, StatusChange(str(status), at, by))
