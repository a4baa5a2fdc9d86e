"""Prefixed, opaque, time-ordered ids: `loc_01hx...` (48-bit milliseconds + 80 random bits, base32)."""

from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
PREFIXES = frozenset({"loc", "pat", "pln", "stp", "pay", "ref", "apt", "fup", "msg", "fin", "clm", "led", "org", "hst"})
_ID_RE = re.compile(r"^(?P<prefix>[a-z]{3})_[0-9a-hjkmnp-tv-z]{26}$")


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def has_prefix(value: str, prefix: str) -> bool:
    """True when `value` is well formed and of the given kind. Malformed ids are simply not found."""
    match = _ID_RE.match(value or "")
    return bool(match) and match.group("prefix") == prefix
