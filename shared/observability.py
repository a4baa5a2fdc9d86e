"""Tracing through aws-lambda-powertools, only inside Lambda: X-Ray costs ~0.2 s of imports, so local
runs and tests never load it (POWERTOOLS_TRACE_DISABLED, or no AWS_LAMBDA_FUNCTION_NAME)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def tracer() -> Any | None:
    in_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    if not in_lambda or disabled:
        return None
    from aws_lambda_powertools import Tracer  # patches botocore, so DynamoDB/SES/SNS calls are traced

    return Tracer()


def traced(name: str) -> AbstractContextManager[Any]:
    """A subsegment named `name` when tracing is on; nothing otherwise."""
    active = tracer()
    return active.provider.in_subsegment(name) if active else nullcontext()
