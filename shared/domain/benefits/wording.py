"""The words of an estimate: plain names of procedures and categories, money, and periods, so that every
limit reads as a sentence a patient understands ("Cleanings: 2 per benefit year, used 2 (...)")."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain import catalog
from shared.domain.benefits.coverage import FrequencyLimit, Period

# Procedures patients know by another name; a limit over codes that all share one name uses it.
PLAIN_NAMES: dict[str, str] = {
    **dict.fromkeys(("D1110", "D1120"), "Cleanings"),
    **dict.fromkeys(("D0120", "D0140", "D0145", "D0150", "D0180"), "Exams"),
    **dict.fromkeys(("D0270", "D0272", "D0273", "D0274", "D0277"), "Bitewing X-rays"),
    **dict.fromkeys(("D0210", "D0330"), "Full-mouth X-rays"),
    **dict.fromkeys(("D1206", "D1208"), "Fluoride"),
    "D1351": "Sealants",
    **dict.fromkeys(("D4341", "D4342"), "Deep cleanings"),
    "D4910": "Periodontal maintenance",
}
CATEGORY_NAMES: dict[str, str] = {
    "diagnostic": "Exams and tests", "xray": "X-rays", "preventive": "Preventive care",
    "restorative": "Fillings", "crowns": "Crowns", "endodontics": "Root canals", "periodontics": "Gum treatment",
    "prosthodontics": "Dentures and bridges", "implants": "Implants", "oral_surgery": "Oral surgery",
    "orthodontics": "Orthodontics", "adjunctive": "Other services",
}


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def procedure_name(code: str) -> str:
    """What a patient calls a procedure: its plain name, else the catalog's descriptor, else the code."""
    if code in PLAIN_NAMES:
        return PLAIN_NAMES[code]
    entry = catalog.lookup(code)
    return f"{entry.descriptor[:1].upper()}{entry.descriptor[1:]} ({code})" if entry else code


def codes_name(codes: Iterable[str]) -> str:
    codes = tuple(codes)
    names = {PLAIN_NAMES.get(code) for code in codes}
    if len(names) == 1 and None not in names:
        return names.pop()  # type: ignore[return-value]
    return procedure_name(codes[0]) if len(codes) == 1 else ", ".join(codes)


def limit_name(limit: FrequencyLimit) -> str:
    return codes_name(limit.codes) if limit.codes else CATEGORY_NAMES.get(limit.category or "", "These services")


def period_phrase(limit: FrequencyLimit) -> str:
    tooth = "per tooth " if limit.per_tooth else ""
    if limit.period is Period.MONTHS:
        return f"{tooth}per {limit.months} months"
    if limit.period is Period.LIFETIME:
        return f"{tooth}per lifetime"
    return f"{tooth}per {limit.period.value.replace('_', ' ')}"


def frequency_sentence(limit: FrequencyLimit, dates: Iterable[str]) -> str:
    dates = tuple(dates)
    return (f"{limit_name(limit)}: {limit.count} {period_phrase(limit)}, used {len(dates)} ({', '.join(dates)})")
