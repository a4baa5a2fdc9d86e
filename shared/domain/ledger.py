"""The plan ledger: append-only money entries from which every balance is derived (DESIGN.md section 2).

Entries are never edited or deleted; a correction is a new entry. Every amount is a positive number of
cents and its direction comes from the entry's kind, so the sign rules live in one place, `balances`:

| kind / subtype                   | party     | patient balance | insurance balance |
|----------------------------------|-----------|-----------------|-------------------|
| charge                           | patient   | + amount        |                   |
| charge                           | insurance |                 | + amount          |
| payment (patient pays)           | patient   | - amount        |                   |
| refund (of a patient payment)    | patient   | + amount        |                   |
| insurance_payment                | insurance |                 | - amount          |
| adjustment writeoff              | either    | - amount if its party is the patient, else insurance |
| adjustment discount              | either    | - amount if its party is the patient, else insurance |
| adjustment other                 | either    | - amount if its party is the patient, else insurance |
| adjustment insurance_shortfall   | patient   | + amount        | - amount          |

An insurance shortfall moves the part of an expected insurance amount that the insurer did not pay to
the patient, so it changes who owes, never the total. Hence, for any list of entries:

    total = charges - write-offs - discounts - other adjustments - payments + refunds - insurance payments

A completed procedure of fee F with a PPO write-off W, estimated insurance I and patient portion P
(F = W + I + P) is posted by `charge_entries` as a patient charge of P, an insurance charge of I + W and
a write-off of W against insurance: the charges add up to the fee (gross production), and after the
write-off the insurance side expects I and the patient owes P.

Entries hold ids and amounts only, never patient data: the memo is for the practice's own notes on the
money (e.g. "courtesy adjustment approved by office manager").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, TypeGuard

from shared.clock import parse_instant
from shared.domain.codec import JsonValue
from shared.errors import InvalidInput, RuleViolation

MAX_MEMO_LENGTH = 500
_REFERENCE_FIELDS = ("plan_id", "step_id", "payment_id", "refund_id", "claim_id")


class EntryKind(StrEnum):
    CHARGE = "charge"
    PAYMENT = "payment"
    REFUND = "refund"
    INSURANCE_PAYMENT = "insurance_payment"
    ADJUSTMENT = "adjustment"


class Party(StrEnum):
    PATIENT = "patient"
    INSURANCE = "insurance"


class AdjustmentType(StrEnum):
    WRITEOFF = "writeoff"
    DISCOUNT = "discount"
    INSURANCE_SHORTFALL = "insurance_shortfall"
    OTHER = "other"


# Kinds whose party is fixed by their meaning.
_REQUIRED_PARTY = {
    EntryKind.PAYMENT: Party.PATIENT,
    EntryKind.REFUND: Party.PATIENT,
    EntryKind.INSURANCE_PAYMENT: Party.INSURANCE,
}


@dataclass(frozen=True)
class LedgerEntry(JsonValue):
    """One immutable money movement. Validated on construction (InvalidInput, one detail per field)."""

    id: str
    kind: EntryKind
    amount_cents: int
    party: Party
    created_at: str
    """ISO 8601 instant with its UTC offset, e.g. 2025-03-01T14:05:00Z."""
    subtype: AdjustmentType | None = None
    """Required on adjustments, absent on every other kind."""
    plan_id: str | None = None
    step_id: str | None = None
    payment_id: str | None = None
    """On payments and refunds: the payment (a refund names the payment it gives money back from)."""
    refund_id: str | None = None
    claim_id: str | None = None
    memo: str = ""

    def __post_init__(self) -> None:
        details: list[dict[str, str]] = []

        def bad(field: str, message: str) -> None:
            details.append({"field": field, "message": message})

        kind = _coerce(self, "kind", EntryKind, bad)
        party = _coerce(self, "party", Party, bad)
        subtype = None if self.subtype is None else _coerce(self, "subtype", AdjustmentType, bad)
        if not isinstance(self.id, str) or not self.id:
            bad("id", "must be a non-empty string")
        if not _is_int(self.amount_cents) or self.amount_cents <= 0:
            bad("amount_cents", "must be integer cents > 0")
        if not _is_instant(self.created_at):
            bad("created_at", "must be an ISO 8601 instant with a UTC offset")
        for name in _REFERENCE_FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                bad(name, "must be a non-empty string when given")
        if not isinstance(self.memo, str) or len(self.memo) > MAX_MEMO_LENGTH:
            bad("memo", f"must be a string of at most {MAX_MEMO_LENGTH} characters")
        if kind is not None:
            _check_kind_rules(kind, party, subtype, self.payment_id, bad)
        if details:
            raise InvalidInput("invalid ledger entry", details=details)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput("invalid ledger entry", [{"field": key, "message": "unknown field"} for key in unknown])
        missing = sorted(name for name in ("id", "kind", "amount_cents", "party", "created_at") if name not in data)
        if missing:
            raise InvalidInput("invalid ledger entry", [{"field": key, "message": "is required"} for key in missing])
        return cls(**data)


@dataclass(frozen=True)
class Balances(JsonValue):
    """What the ledger adds up to. Every figure is integer cents; see the module docstring for signs."""

    patient_balance_cents: int
    insurance_balance_cents: int
    charged_cents: int
    paid_cents: int
    """Patient payments, before refunds."""
    refunded_cents: int
    insurance_paid_cents: int
    adjusted_cents: int
    """Adjustments that lower a balance: write-offs, discounts and other adjustments."""
    writeoff_cents: int
    discount_cents: int
    shortfall_cents: int
    """Moved from insurance to the patient (not part of adjusted_cents: it changes no total)."""
    total_balance_cents: int


def balances(entries: Iterable[LedgerEntry]) -> Balances:
    """Derive every balance from the entries (order does not matter)."""
    owed = {Party.PATIENT: 0, Party.INSURANCE: 0}
    totals = dict.fromkeys(("charged", "paid", "refunded", "insurance_paid", "writeoff", "discount", "other"), 0)
    shortfall = 0
    for entry in entries:
        amount = entry.amount_cents
        if entry.kind is EntryKind.CHARGE:
            owed[entry.party] += amount
            totals["charged"] += amount
        elif entry.kind is EntryKind.PAYMENT:
            owed[Party.PATIENT] -= amount
            totals["paid"] += amount
        elif entry.kind is EntryKind.REFUND:
            owed[Party.PATIENT] += amount
            totals["refunded"] += amount
        elif entry.kind is EntryKind.INSURANCE_PAYMENT:
            owed[Party.INSURANCE] -= amount
            totals["insurance_paid"] += amount
        elif entry.subtype is AdjustmentType.INSURANCE_SHORTFALL:
            owed[Party.INSURANCE] -= amount
            owed[Party.PATIENT] += amount
            shortfall += amount
        else:
            owed[entry.party] -= amount
            totals[str(entry.subtype)] += amount  # writeoff, discount or other
    return Balances(
        patient_balance_cents=owed[Party.PATIENT],
        insurance_balance_cents=owed[Party.INSURANCE],
        charged_cents=totals["charged"],
        paid_cents=totals["paid"],
        refunded_cents=totals["refunded"],
        insurance_paid_cents=totals["insurance_paid"],
        adjusted_cents=totals["writeoff"] + totals["discount"] + totals["other"],
        writeoff_cents=totals["writeoff"],
        discount_cents=totals["discount"],
        shortfall_cents=shortfall,
        total_balance_cents=owed[Party.PATIENT] + owed[Party.INSURANCE],
    )


def charge_entries(
    source_id: str,
    fee_cents: int,
    writeoff_cents: int,
    insurance_cents: int,
    patient_cents: int,
    *,
    created_at: str,
    plan_id: str | None = None,
    step_id: str | None = None,
) -> list[LedgerEntry]:
    """The entries that post a completed procedure (or step) of fee = write-off + insurance + patient.

    `source_id` names what was completed (a step id, or a step id and procedure index for one
    procedure); entry ids derive from it (`led_<source_id>_<part>`), so posting the same completion
    twice yields the same ids and the store can refuse the duplicate. Zero parts post no entry.
    """
    parts = {"fee_cents": fee_cents, "writeoff_cents": writeoff_cents,
             "insurance_cents": insurance_cents, "patient_cents": patient_cents}
    details = [{"field": name, "message": "must be integer cents >= 0"}
               for name, value in parts.items() if not _is_int(value) or value < 0]
    if not isinstance(source_id, str) or not source_id:
        details.append({"field": "source_id", "message": "must be a non-empty string"})
    if not details and writeoff_cents + insurance_cents + patient_cents != fee_cents:
        details.append({"field": "fee_cents", "message": "must equal write-off + insurance + patient"})
    if details:
        raise InvalidInput("invalid procedure charge", details=details)

    def entry(part: str, kind: EntryKind, amount: int, party: Party, subtype: AdjustmentType | None) -> LedgerEntry:
        return LedgerEntry(f"led_{source_id}_{part}", kind, amount, party, created_at, subtype,
                           plan_id=plan_id, step_id=step_id)

    entries = []
    if patient_cents:
        entries.append(entry("patient", EntryKind.CHARGE, patient_cents, Party.PATIENT, None))
    if insurance_cents + writeoff_cents:
        entries.append(entry("insurance", EntryKind.CHARGE, insurance_cents + writeoff_cents, Party.INSURANCE, None))
    if writeoff_cents:
        entries.append(
            entry("writeoff", EntryKind.ADJUSTMENT, writeoff_cents, Party.INSURANCE, AdjustmentType.WRITEOFF)
        )
    return entries


def refundable_cents(payment_amount_cents: int, refunded_cents: int) -> int:
    """What is left of a payment to refund."""
    details = []
    if not _is_int(payment_amount_cents) or payment_amount_cents <= 0:
        details.append({"field": "payment_amount_cents", "message": "must be integer cents > 0"})
    if not _is_int(refunded_cents) or refunded_cents < 0:
        details.append({"field": "refunded_cents", "message": "must be integer cents >= 0"})
    elif not details and refunded_cents > payment_amount_cents:
        details.append({"field": "refunded_cents", "message": "must not exceed the payment amount"})
    if details:
        raise InvalidInput("invalid payment amounts", details=details)
    return payment_amount_cents - refunded_cents


def check_refund(payment_amount_cents: int, already_refunded_cents: int, refund_cents: int) -> int:
    """Allow a refund only within what is left of its payment; returns what is left after it.

    Raises InvalidInput when `refund_cents` (the request's `amount_cents`) is not positive integer cents,
    and RuleViolation when the refund is more than the payment has left.
    """
    left = refundable_cents(payment_amount_cents, already_refunded_cents)
    if not _is_int(refund_cents) or refund_cents <= 0:
        detail = {"field": "amount_cents", "message": "must be integer cents > 0"}
        raise InvalidInput("invalid refund", details=[detail])
    if refund_cents > left:
        raise RuleViolation(f"refund exceeds what is left of the payment ({left} cents refundable)")
    return left - refund_cents


def _check_kind_rules(
    kind: EntryKind, party: Party | None, subtype: AdjustmentType | None, payment_id: object, bad: Any
) -> None:
    required = _REQUIRED_PARTY.get(kind)
    if kind is EntryKind.ADJUSTMENT and subtype is AdjustmentType.INSURANCE_SHORTFALL:
        required = Party.PATIENT  # the party the shortfall moves to
    if required is not None and party is not None and party is not required:
        bad("party", f"must be {required.value} for this kind of entry")
    if kind is EntryKind.ADJUSTMENT and subtype is None:
        bad("subtype", "is required on an adjustment: " + ", ".join(a.value for a in AdjustmentType))
    if kind is not EntryKind.ADJUSTMENT and subtype is not None:
        bad("subtype", "is only allowed on adjustments")
    if kind in (EntryKind.PAYMENT, EntryKind.REFUND) and payment_id is None:
        bad("payment_id", "is required on payments and refunds")


def _coerce(entry: LedgerEntry, name: str, enum: type[StrEnum], bad: Any) -> Any:
    """Accept an enum member or its string value (as read back from storage); None when invalid."""
    value = getattr(entry, name)
    try:
        member = enum(value)
    except (ValueError, TypeError):
        bad(name, "must be one of: " + ", ".join(item.value for item in enum))
        return None
    object.__setattr__(entry, name, member)
    return member


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_instant(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_instant(value)
    except InvalidInput:
        return False
    return True
