"""Unauthenticated routes: health and the OpenAPI document."""

from __future__ import annotations

from functools import lru_cache

from functions.api import Request, Router
from functions.schemas.out.system import Health, OpenApiDocument

router = Router("system")


@router.route("GET", "/health", permission=None, summary="Liveness", response=Health)
def health(request: Request) -> dict:
    return {"status": "ok"}


@router.route("GET", "/openapi.json", permission=None, summary="This API's OpenAPI 3.1 document",
               response=OpenApiDocument)
def openapi(request: Request) -> dict:
    return _document()


@lru_cache(maxsize=1)
def _document() -> dict:
    from functions.openapi import build_document
    from functions.routes import all_routes

    return build_document(all_routes())
