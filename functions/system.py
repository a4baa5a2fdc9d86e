"""Unauthenticated routes: health and the OpenAPI document."""

from __future__ import annotations

from functions.api import Request, Router
from functions.models import Models

out = Models("functions.schemas.out.system")
router = Router("system")


@router.route("GET", "/health", permission=None, summary="Liveness", response=out.Health)
def health(request: Request) -> dict:
    return {"status": "ok"}


@router.route("GET", "/openapi.json", permission=None, summary="This API's OpenAPI 3.1 document",
               response=out.OpenApiDocument)
def openapi(request: Request) -> dict:
    from functions.openapi import document  # builds every route's models: only when asked for

    return document()
