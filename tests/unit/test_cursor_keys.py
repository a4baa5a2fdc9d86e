"""Cursor signing keys: the Secrets Manager secret through powertools (cached), rotated without breaking
open cursors (the previous value is accepted until the next rotation); the local secret elsewhere."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from shared import cursor_keys
from shared.config import settings
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import InvalidInput
from shared.store import records

QUERY = {"location_id": "loc_1"}


def _cursor(key: bytes, n: int) -> str:
    return encode_cursor(key, "grp_a", "user-1", QUERY, _start_key(n))


def _start_key(n: int) -> dict:
    """A start key as the store writes one (the cursor refuses any other shape)."""
    return records.offset_key("grp_a", "patients", n)


def _read(keys: tuple[bytes, ...], cursor: str) -> dict | None:
    return decode_cursor(keys, "grp_a", "user-1", QUERY, cursor)


@pytest.fixture
def secret(monkeypatch):
    cursor_keys.forget()
    with mock_aws():
        client = boto3.client("secretsmanager")
        arn = client.create_secret(Name="cursor-secret", SecretString="a" * 64)["ARN"]
        monkeypatch.setenv(cursor_keys.SECRET_ARN_ENV, arn)
        yield client, arn
    cursor_keys.forget()


def test_rotation_keeps_open_cursors_valid_until_the_next_one(secret, monkeypatch):
    client, arn = secret
    monkeypatch.setattr(cursor_keys, "CACHE_SECONDS", 0)  # read the secret on every call
    assert cursor_keys.signing_keys() == (b"a" * 64,)
    before = _cursor(cursor_keys.signing_keys()[0], 1)

    client.put_secret_value(SecretId=arn, SecretString="b" * 64)
    keys = cursor_keys.signing_keys()
    assert keys == (b"b" * 64, b"a" * 64)
    after = _cursor(keys[0], 2)
    assert _read(keys, before) == _start_key(1) and _read(keys, after) == _start_key(2)

    client.put_secret_value(SecretId=arn, SecretString="c" * 64)
    keys = cursor_keys.signing_keys()
    assert _read(keys, after) == _start_key(2)
    with pytest.raises(InvalidInput):
        _read(keys, before)  # two rotations ago


def test_keys_are_cached_between_requests(secret):
    client, arn = secret
    first = cursor_keys.signing_keys()
    client.put_secret_value(SecretId=arn, SecretString="b" * 64)
    assert cursor_keys.signing_keys() == first  # until CACHE_SECONDS pass
    cursor_keys.forget()
    assert cursor_keys.signing_keys()[0] == b"b" * 64


def test_locally_the_local_secret_signs_and_in_lambda_it_is_refused(monkeypatch):
    monkeypatch.delenv(cursor_keys.SECRET_ARN_ENV, raising=False)
    monkeypatch.delenv("CHAIRSIDE_CURSOR_SECRET", raising=False)
    assert cursor_keys.signing_keys() == (settings().cursor_secret,)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chairside-api")
    with pytest.raises(RuntimeError, match="CHAIRSIDE_CURSOR_SECRET_ARN"):
        cursor_keys.signing_keys()
