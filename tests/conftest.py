"""Test wiring: environment first (before any client or model exists), then stores and an HTTP client.

`store` runs a test against moto's in-process mock and, parametrised, against DynamoDB Local, which
the test session starts itself (the jar is cached under .chairside/cache).
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

os.environ.update({
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "Chairside",
})
_KEYS = Path(tempfile.mkdtemp(prefix="chairside-test-keys-"))
os.environ["CHAIRSIDE_JWKS_FILE"] = str(_KEYS / "jwks.json")
os.environ.pop("CHAIRSIDE_DYNAMODB_ENDPOINT", None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from infra.local_keys import ensure_local_keys, mint_token  # noqa: E402
from shared.config import reload_settings  # noqa: E402

reload_settings()
ensure_local_keys(_KEYS)

from infra import local_audit  # noqa: E402
from shared.store import table  # noqa: E402
from tests.helpers import CACHE  # noqa: E402

_AUDIT = local_audit.attach(local_audit.MemorySink())


@pytest.fixture(scope="session")
def ddb_local_endpoint():
    from infra.local_services import DynamoDBLocal

    with DynamoDBLocal(CACHE) as server:
        yield server.endpoint_url


@pytest.fixture
def moto_store():
    with mock_aws():
        table.bind(table_name="chairside-test", host=None)
        table.ensure_table()
        yield "moto"
    table.bind()


@pytest.fixture
def ddblocal_store(ddb_local_endpoint):
    # One table per worker; tests stay apart because every key starts with the test's own org id.
    table.bind(table_name=f"chairside-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}", host=ddb_local_endpoint)
    table.ensure_table()
    yield "ddblocal"
    table.bind()


@pytest.fixture(params=["moto", pytest.param("ddblocal", marks=pytest.mark.ddblocal)])
def store(request):
    """Runs the test once on moto and once on DynamoDB Local."""
    yield request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def org() -> str:
    return f"org_{uuid.uuid4().hex[:12]}"


class Caller:
    """An HTTP caller with a token for one org, role and set of locations."""

    def __init__(self, client, org: str, role: str = "admin", locations=("*",), sub: str = "user-1") -> None:
        self.client, self.org, self.role, self.sub = client, org, role, sub
        self.token = mint_token(_KEYS, org=org, role=role, locations=list(locations), sub=sub)

    def as_(self, role: str | None = None, locations=None, org: str | None = None, sub: str | None = None):
        return Caller(self.client, org or self.org, role or self.role,
                      locations if locations is not None else ("*",), sub or self.sub)

    def call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        all_headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        response.data = json.loads(response.body) if response.body else None
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)


@pytest.fixture
def http(store):
    from chalice.test import Client

    from app import app
    from infra.local_gateway import with_gateway

    with Client(with_gateway(app)) as client:
        yield client


@pytest.fixture
def admin(http, org) -> Caller:
    return Caller(http, org, "admin")


@pytest.fixture
def audit_events() -> local_audit.MemorySink:
    """Every audit event this test process emitted (the local stand-in for the audit archive)."""
    return _AUDIT


@pytest.fixture
def keys_dir() -> Path:
    return _KEYS
