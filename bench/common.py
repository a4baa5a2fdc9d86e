"""Helpers the benchmarks share: the environment, percentiles, a DynamoDB request counter, DynamoDB Local.

Nothing here imports the app or `shared` at module level: the environment has to be in place before
those modules read their settings or build a client, so callers set it up first and import after.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
    from shared.config import reload_settings
    from shared.local_keys import ensure_local_keys

    reload_settings()
    ensure_local_keys(keys_dir)


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
