"""Helpers the benchmarks share: the environment, percentiles, a DynamoDB request counter, DynamoDB Local.

Nothing here imports the app or `shared` at module level: the environment has to be in place before
those modules read their settings or build a client, so callers set it up first and import after.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".chairside" / "cache"

# What every benchmark process runs with: a region (pynamodb needs one), dummy credentials that
# DynamoDB Local accepts, and no X-Ray tracing.
AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "Chairside",
}


def child_env() -> dict[str, str]:
    """The environment for a child Python process: ours plus AWS_ENV, without import profiling switches."""
    env = {**os.environ, **AWS_ENV}
    for name in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


def prepare_in_process(keys_dir: Path) -> None:
    """Environment for calling the API in this process. Call before importing app, functions or shared."""
    os.environ.update(AWS_ENV)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("CHAIRSIDE_DYNAMODB_ENDPOINT", None)
    os.environ["CHAIRSIDE_JWKS_FILE"] = str(keys_dir / "jwks.json")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from infra.local_keys import ensure_local_keys
    from shared.config import reload_settings

    reload_settings()
    ensure_local_keys(keys_dir)
    from infra.local_gateway import reset_verifier

    reset_verifier()  # benchmarks run back to back in one process, each with its own keys


# --- statistics -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): p0 is the min, p100 the max."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class Latency:
    """Latency figures of one kind of call, in milliseconds."""

    count: int
    p50: float
    p95: float
    max: float

    @classmethod
    def of_seconds(cls, samples: Sequence[float]) -> Latency:
        ms = [s * 1000 for s in samples]
        return cls(len(ms), percentile(ms, 50), percentile(ms, 95), max(ms))


# --- counting DynamoDB requests ---------------------------------------------------------------------


AUDIT_PUT = "PutItem(audit)"


def _operation_label(operation_name: str, operation_kwargs: dict[str, Any]) -> str:
    """The operation name, with audit writes told apart from the data they describe."""
    if operation_name == "PutItem":
        kind = operation_kwargs.get("Item", {}).get("kind", {}).get("S")
        if kind == "audit":
            return AUDIT_PUT
    return operation_name


class DynamoDBCounter:
    """Counts the DynamoDB requests pynamodb makes, per operation, and the time spent waiting on them.

    Wraps `pynamodb.connection.base.Connection._make_api_call`, the one method every pynamodb operation
    (model, index, transaction, batch) goes through, so every table and connection is counted.
    One API call counts once even if botocore retried it.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds = 0.0
        self._original: Any = None

    def install(self) -> DynamoDBCounter:
        from pynamodb.connection.base import Connection

        if self._original is not None:
            raise RuntimeError("counter already installed")
        original = Connection._make_api_call
        counter = self

        def counted(connection: Any, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
            counter.calls[_operation_label(operation_name, operation_kwargs)] += 1
            started = time.perf_counter()
            try:
                return original(connection, operation_name, operation_kwargs)
            finally:
                counter.seconds += time.perf_counter() - started

        self._original = original
        Connection._make_api_call = counted  # type: ignore[method-assign]
        return self

    def uninstall(self) -> None:
        from pynamodb.connection.base import Connection

        if self._original is not None:
            Connection._make_api_call = self._original  # type: ignore[method-assign]
            self._original = None

    def take(self) -> tuple[Counter[str], float]:
        """The counts and DynamoDB seconds since the last take, and start again from zero."""
        calls, seconds = self.calls, self.seconds
        self.calls, self.seconds = Counter(), 0.0
        return calls, seconds

    def __enter__(self) -> DynamoDBCounter:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()


@contextlib.contextmanager
def captured_get_item_keys() -> Iterator[list[dict[str, Any]]]:
    """The Key of every GetItem pynamodb makes inside the block, in order (to replay them raw)."""
    from pynamodb.connection.base import Connection

    keys: list[dict[str, Any]] = []
    original = Connection._make_api_call

    def capture(connection: Any, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        if operation_name == "GetItem":
            keys.append(operation_kwargs["Key"])
        return original(connection, operation_name, operation_kwargs)

    Connection._make_api_call = capture  # type: ignore[method-assign]
    try:
        yield keys
    finally:
        Connection._make_api_call = original  # type: ignore[method-assign]


def raw_get_item_seconds(keys: Sequence[dict[str, Any]]) -> list[float]:
    """Each GetItem replayed through the store's own botocore client: no pynamodb, no app code around it."""
    from shared.store import table

    client, name = table.connection().client, table.Record.Meta.table_name
    seconds = []
    for key in keys:
        started = time.perf_counter()
        found = client.get_item(TableName=name, Key=key)
        seconds.append(time.perf_counter() - started)
        if "Item" not in found:
            raise RuntimeError("a replayed GetItem found nothing")
    return seconds


def per_call(calls: Counter[str], n: int) -> str:
    """'3.0 (GetItem 1.0, PutItem 1.0, PutItem(audit) 1.0)': requests per call, by operation."""
    total = sum(calls.values()) / n
    parts = ", ".join(f"{name} {count / n:.1f}" for name, count in sorted(calls.items()))
    return f"{total:.1f} ({parts})" if parts else f"{total:.1f}"


# --- DynamoDB Local -------------------------------------------------------------------------------------


@contextlib.contextmanager
def dynamodb_endpoint(endpoint: str | None) -> Iterator[tuple[str, str]]:
    """(endpoint url, description): the given endpoint, or a fresh in-memory DynamoDB Local stopped after."""
    if endpoint:
        yield endpoint, f"{endpoint} (given)"
        return
    from infra.local_services import DynamoDBLocal

    started = time.perf_counter()
    with DynamoDBLocal(CACHE) as server:
        ready = time.perf_counter() - started
        where = f"DynamoDB Local in memory at {server.endpoint_url} (ready in {ready:.1f} s)"
        yield server.endpoint_url, where


# --- report lines ---------------------------------------------------------------------------------------


def machine_line() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load}")


def heading(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}"


# --- an in-process API session ----------------------------------------------------------------------


@dataclass
class Phase:
    """One kind of call: its latencies and the DynamoDB requests all its calls made."""

    name: str
    seconds: list[float] = field(default_factory=list)
    ddb_calls: Counter[str] = field(default_factory=Counter)
    ddb_seconds: float = 0.0

    def line(self, width: int) -> str:
        n = len(self.seconds)
        latency = Latency.of_seconds(self.seconds)
        share = self.ddb_seconds / sum(self.seconds) * 100
        return (f"{self.name:<{width}}  n {n:>4}  p50 {latency.p50:6.1f} ms  p95 {latency.p95:6.1f} ms  "
                f"max {latency.max:6.1f} ms  in ddb {share:3.0f}%  ddb/call {per_call(self.ddb_calls, n)}")


class _LambdaContext:
    """What the Lambda runtime passes the handler, as far as the app reads it."""

    aws_request_id = "bench-invocation"
    function_name = "chairside-bench-ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:chairside-bench-ApiFunction"


class Api:
    """Timed JSON calls through the Chalice test client, with one bearer token; or straight into the Lambda
    handler with the event API Gateway delivers after its Cognito authorizer verified that token."""

    def __init__(self, client: Any, token: str, counter: DynamoDBCounter, claims: dict[str, Any] | None = None,
                 handler: Any = None) -> None:
        self.client, self.token, self.counter = client, token, counter
        self.claims, self.handler = claims, handler

    def invoke(self, phase: Phase, resource: str, params: dict[str, str], expect: int = 200) -> Any:
        """GET `resource` (a route template such as /patients/{patient_id}) as Lambda runs it in AWS: the
        handler gets API Gateway's proxy event with the authorizer's claims; no local token check."""
        path = resource.format(**params)
        event = {"resource": resource, "path": path, "httpMethod": "GET",
                 "headers": {"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                 "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
                 "pathParameters": params, "stageVariables": None, "body": None, "isBase64Encoded": False,
                 "requestContext": {"resourcePath": resource, "httpMethod": "GET", "path": path,
                                    "requestId": "bench-request", "authorizer": {"claims": self.claims},
                                    "identity": {"sourceIp": "127.0.0.1"}}}
        self.counter.take()
        started = time.perf_counter()
        response = self.handler(event, _LambdaContext())
        phase.seconds.append(time.perf_counter() - started)
        calls, ddb_seconds = self.counter.take()
        phase.ddb_calls.update(calls)
        phase.ddb_seconds += ddb_seconds
        if response["statusCode"] != expect:
            raise RuntimeError(f"GET {path} answered {response['statusCode']}, not {expect}: "
                               f"{response['body'][:500]!r}")
        return json.loads(response["body"])

    def call(self, phase: Phase, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        payload = json.dumps(body) if body is not None else ""
        send = getattr(self.client.http, method.lower())
        self.counter.take()
        started = time.perf_counter()
        response = send(path, headers=headers, body=payload)
        phase.seconds.append(time.perf_counter() - started)
        calls, ddb_seconds = self.counter.take()
        phase.ddb_calls.update(calls)
        phase.ddb_seconds += ddb_seconds
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}, not {expect}: "
                               f"{response.body[:500]!r}")
        return json.loads(response.body)


def quiet_request_logs() -> None:
    """Keep formatting each request's log line (part of the cost) but write it to /dev/null."""
    from shared import audit_log
    from shared.logs import logger

    logger.registered_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    for handler in audit_log.logger.handlers:  # the audit lines too (formatted, as in production)
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115



@contextlib.contextmanager
def api_session(endpoint: str | None, role: str = "admin") -> Iterator[tuple[Api, str]]:
    """(an Api for a fresh group, where): the app in process, against a table of its own on the given
    endpoint or on a fresh in-memory DynamoDB Local; the table is deleted afterwards."""
    import shutil
    import tempfile
    import uuid

    keys_dir = Path(tempfile.mkdtemp(prefix="chairside-bench-keys-"))
    try:
        prepare_in_process(keys_dir)
        from chalice.test import Client

        from app import app
        from infra.local_gateway import verifier, with_gateway
        from infra.local_keys import mint_token
        from shared.store import table

        quiet_request_logs()
        token = mint_token(keys_dir, org=f"org_bench{uuid.uuid4().hex[:8]}", role=role, locations=["*"],
                           sub="bench-user")
        with dynamodb_endpoint(endpoint) as (url, where):
            table.bind(table_name=f"chairside-bench-{uuid.uuid4().hex[:8]}", host=url)
            table.ensure_table()
            try:
                claims = verifier().verified_claims(token)  # what the authorizer hands the function in AWS
                with Client(with_gateway(app)) as client, DynamoDBCounter() as counter:
                    yield Api(client, token, counter, claims, app), where
            finally:
                table.Record.delete_table()
                table.bind()
    finally:
        shutil.rmtree(keys_dir, ignore_errors=True)


def phase_report(title: str, where: str, notes: Sequence[str], phases: Sequence[Phase], elapsed: float) -> str:
    """A benchmark's printed figures: heading, machine, store, what ran, one aligned line per phase."""
    width = max(len(p.name) for p in phases)
    return "\n".join([heading(title), machine_line(), where, *notes, "",
                      *(p.line(width) for p in phases), "", f"(scenario took {elapsed:.1f} s)"])
