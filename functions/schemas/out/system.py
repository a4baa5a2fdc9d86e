"""Response models of the unauthenticated routes."""

from __future__ import annotations

from typing import Any, Literal

from functions.schemas.out import Out


class Health(Out):
    status: Literal["ok"]


class OpenApiDocument(Out):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
