"""Usage of a coverage: a ledger per benefit year, and the procedure history frequency limits count.

The ledger of one coverage is its carried-in figures (what the insurer reported at set-up, booked to the
benefit year containing `usage_as_of`) plus the entries of its claims, each booked to the benefit year of
its service date. Deductible met, the annual maximum used and pending, and what each code used toward its
per-code maximum are per benefit year: a new benefit year starts with nothing used. Orthodontics uses a
lifetime maximum and its own lifetime deductible, so its entries count whatever their year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.years import benefit_year_start
from shared.domain.catalog import Category


class UsageStatus(StrEnum):
    PENDING = "pending"  # a submitted claim: held against the maximum until it is paid or released
    PAID = "paid"


@dataclass(frozen=True)
class UsageEntry:
    """What one claim books against one coverage (by rank). Orthodontic amounts are kept apart."""

    rank: int
    service_date: date
    status: UsageStatus
    insurance_cents: int = 0
    deductible_cents: int = 0
    ortho_cents: int = 0
    ortho_deductible_cents: int = 0
    code_cents: Mapping[str, int] = field(default_factory=dict)


class HistorySource(StrEnum):
    IMPORTED = "imported"  # prior treatment, possibly at another office
    COMPLETED = "completed"  # a completed step of one of our plans


@dataclass(frozen=True)
class HistoryItem:
    """A procedure the patient already had: frequency limits count it."""

    code: str
    date: date
    tooth: str | None = None
    source: HistorySource = HistorySource.IMPORTED


@dataclass
class YearUsage:
    used_cents: int = 0
    pending_cents: int = 0
    deductible_met_cents: int = 0
    code_cents: dict[str, int] = field(default_factory=dict)


@dataclass
class Usage:
    """One coverage's usage: per benefit year (keyed by its first day) and lifetime orthodontics."""

    renewal_month: int
    years: dict[date, YearUsage] = field(default_factory=dict)
    ortho_used_cents: int = 0
    ortho_deductible_met_cents: int = 0

    def year_of(self, on: date) -> YearUsage:
        return self.years.get(benefit_year_start(self.renewal_month, on), YearUsage())


def usage_of(coverage: Coverage, entries: Iterable[UsageEntry], today: date) -> Usage:
    """The ledger of `coverage` from its carried-in figures and the entries booked with its rank."""
    usage = Usage(coverage.renewal_month, ortho_used_cents=coverage.ortho_used_cents)
    carried = _year(usage, coverage.usage_as_of or today)
    carried.used_cents += coverage.used_cents
    carried.pending_cents += coverage.pending_cents
    carried.deductible_met_cents += coverage.deductible_met_cents
    for entry in entries:
        if entry.rank != coverage.rank:
            continue
        year = _year(usage, entry.service_date)
        if entry.status is UsageStatus.PAID:
            year.used_cents += entry.insurance_cents
        else:
            year.pending_cents += entry.insurance_cents
        # A deductible the insurer applied on a submitted claim is as good as met: counting it only once
        # paid would take it again from the next estimate meanwhile.
        year.deductible_met_cents += entry.deductible_cents
        usage.ortho_used_cents += entry.ortho_cents
        usage.ortho_deductible_met_cents += entry.ortho_deductible_cents
        for code, cents in entry.code_cents.items():
            year.code_cents[code] = year.code_cents.get(code, 0) + cents
    return usage


def _year(usage: Usage, on: date) -> YearUsage:
    return usage.years.setdefault(benefit_year_start(usage.renewal_month, on), YearUsage())


def remaining_annual_max_cents(coverage: Coverage, usage: Usage, on: date) -> int:
    """What is left of the annual maximum in the benefit year containing `on` (used and pending taken)."""
    year = usage.year_of(on)
    return max(0, coverage.annual_max_cents - year.used_cents - year.pending_cents)


def remaining_benefits_cents(coverages: Iterable[Coverage], entries: Iterable[UsageEntry], on: date) -> int:
    """Unused annual maximum this benefit year, summed over the patient's coverages (the worklist's
    "remaining benefits this year"). Orthodontic lifetime maximums are not included."""
    booked = tuple(entries)
    return sum(remaining_annual_max_cents(c, usage_of(c, booked, on), on) for c in coverages)


class Balances:
    """What is left of one coverage's limits while an estimate walks the plan: earlier lines take their
    share, per benefit year, so a later line sees only what they left."""

    def __init__(self, coverage: Coverage, usage: Usage) -> None:
        self.coverage = coverage
        self.usage = usage
        self._years: dict[date, YearUsage] = {}
        self.ortho_used = usage.ortho_used_cents
        self.ortho_deductible_met = usage.ortho_deductible_met_cents

    def year(self, on: date) -> YearUsage:
        start = benefit_year_start(self.coverage.renewal_month, on)
        if start not in self._years:
            booked = self.usage.years.get(start, YearUsage())
            self._years[start] = YearUsage(booked.used_cents, booked.pending_cents, booked.deductible_met_cents,
                                           dict(booked.code_cents))
        return self._years[start]

    def deductible_left(self, on: date, ortho: bool) -> int:
        if ortho:
            return max(0, self.coverage.ortho_deductible_cents - self.ortho_deductible_met)
        return max(0, self.coverage.deductible_cents - self.year(on).deductible_met_cents)

    def take_deductible(self, on: date, ortho: bool, cents: int) -> None:
        if ortho:
            self.ortho_deductible_met += cents
        else:
            self.year(on).deductible_met_cents += cents

    def max_left(self, on: date, ortho: bool) -> int:
        if ortho:
            return max(0, self.coverage.ortho_lifetime_max_cents - self.ortho_used)
        year = self.year(on)
        return max(0, self.coverage.annual_max_cents - year.used_cents - year.pending_cents)

    def code_left(self, on: date, code: str) -> int | None:
        cap = self.coverage.code_maximums.get(code)
        return None if cap is None else max(0, cap - self.year(on).code_cents.get(code, 0))

    def take(self, on: date, ortho: bool, code: str, cents: int) -> None:
        """Book what a line's insurance consumes: its maximum and its code's maximum."""
        year = self.year(on)
        if ortho:
            self.ortho_used += cents
        else:
            year.pending_cents += cents
        year.code_cents[code] = year.code_cents.get(code, 0) + cents


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """`total` cents split in proportion to `weights` (largest remainder, ties to the earlier), summing
    exactly to `total`; all of it to the first part when every weight is 0."""
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    parts = [total * weight // whole for weight in weights]
    leftovers = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for index in leftovers[:total - sum(parts)]:
        parts[index] += 1
    return parts


def claim_entry(rank: int, service_date: date, status: UsageStatus, lines: Sequence[Mapping[str, Any]],
                amount_cents: int) -> UsageEntry:
    """What a claim books against coverage `rank`: `amount_cents` (expected while pending, what the insurer
    paid once paid) spread over the claimed estimate lines in proportion to what each expected from that
    coverage, orthodontic lines to the lifetime maximum; the deductibles those lines applied count as met.
    `lines` are estimate lines as stored (`by_coverage` per rank; a line from before dual coverage, without
    it, counts as the primary's)."""
    shares = [(line, _share_of(line, rank)) for line in lines]
    shares = [(line, share) for line, share in shares if share is not None]
    amounts = allocate(amount_cents, [int(share["insurance_cents"]) for _, share in shares])
    entry: dict[str, Any] = {"insurance_cents": 0, "deductible_cents": 0, "ortho_cents": 0,
                             "ortho_deductible_cents": 0}
    code_cents: dict[str, int] = {}
    for (line, share), amount in zip(shares, amounts, strict=True):
        ortho = line.get("category") == Category.ORTHODONTICS.value
        entry["ortho_cents" if ortho else "insurance_cents"] += amount
        entry["ortho_deductible_cents" if ortho else "deductible_cents"] += int(share.get("deductible_cents", 0))
        code_cents[line["code"]] = code_cents.get(line["code"], 0) + amount
    return UsageEntry(rank, service_date, status, code_cents=code_cents, **entry)


def _share_of(line: Mapping[str, Any], rank: int) -> Mapping[str, Any] | None:
    if "by_coverage" not in line:
        return line if rank == 1 else None
    return next((share for share in line["by_coverage"] if share["rank"] == rank), None)


def expected_of(lines: Sequence[Mapping[str, Any]], rank: int) -> int:
    """What coverage `rank` is expected to pay for these estimate lines (a claim's default amount)."""
    shares = (_share_of(line, rank) for line in lines)
    return sum(int(share["insurance_cents"]) for share in shares if share is not None)
