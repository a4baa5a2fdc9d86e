"""Signing links: signed tokens, what a link may still do, the hash of what was shown, the signature image."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from shared.domain.signing import (
    PNG_MAGIC,
    TOKEN_CHARS,
    LinkFacts,
    LinkState,
    content_hash,
    link_id_of,
    link_state,
    new_token,
    signature_png,
)

SECRET = b"test-secret"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_a_token_names_its_link_and_a_forged_or_altered_one_names_none():
    link_id, token = new_token(SECRET)
    assert link_id_of(SECRET, token) == link_id
    assert len(token) == TOKEN_CHARS, "short enough for an SMS (tests/unit/test_signing_message.py)"
    other_id, _ = new_token(SECRET)
    assert link_id_of(SECRET, f"{other_id}.{token.split('.')[1]}") is None
    assert link_id_of(b"another-secret", token) is None
    for bad in ("", "no-dot", "a.b.c", token + "x", None, "x" * 200):
        assert link_id_of(SECRET, bad) is None  # type: ignore[arg-type]


def test_a_link_works_once_for_its_version_until_it_expires():
    link = LinkFacts(version=3, expires_at=NOW + timedelta(days=7), used_at=None)
    assert link_state(link, 3, "presented", NOW) is LinkState.USABLE
    assert link_state(link, 3, "presented", NOW + timedelta(days=7)) is LinkState.EXPIRED
    assert link_state(link, 4, "presented", NOW) is LinkState.SUPERSEDED, "a newer version voids it"
    assert link_state(link, 3, "declined", NOW) is LinkState.SUPERSEDED
    used = LinkFacts(version=3, expires_at=NOW + timedelta(days=7), used_at=NOW)
    assert link_state(used, 3, "accepted", NOW) is LinkState.USED


def test_the_content_hash_is_canonical_and_changes_with_what_was_shown():
    shown = {"version": 2, "lines": [{"code": "D2740", "patient_cents": 70000}]}
    same = {"lines": [{"patient_cents": 70000, "code": "D2740"}], "version": 2}
    assert content_hash(shown) == content_hash(same)
    assert content_hash(shown) != content_hash({**shown, "version": 3})


def test_only_a_small_png_is_a_signature():
    png = PNG_MAGIC + b"\x00" * 100
    assert signature_png("data:image/png;base64," + base64.b64encode(png).decode()) == png
    assert signature_png("data:image/jpeg;base64," + base64.b64encode(png).decode()) is None
    assert signature_png("data:image/png;base64,not base64!") is None
    assert signature_png("data:image/png;base64," + base64.b64encode(b"GIF89a").decode()) is None
    huge = PNG_MAGIC + b"\x00" * 200_000
    assert signature_png("data:image/png;base64," + base64.b64encode(huge).decode()) is None
