"""Response models: what each route answers, by status. They generate /openapi.json's response schemas.

They describe; they do not filter: a handler's dict is sent as it is, and schemathesis
(tests/contract) checks every answer against these models. Each allows fields it does not name (a
front-end must ignore what it does not know), so a field added by a service never breaks a client;
the fields named here are the contract.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model


class Out(BaseModel):
    # Built on first use (/openapi.json, the contract tests), not at import: a route module imports its
    # response models, and building them all cost a cold first request ~120 ms for nothing it answers.
    model_config = ConfigDict(extra="allow", defer_build=True)


class Versioned(Out):
    version: int = Field(description="Send it back as If-Match to change this resource")


class Stamped(Versioned):
    created_at: str
    updated_at: str | None = None


@cache
def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The list shape every list route answers: `{"items": [...], "next_cursor": str | null}`."""
    fields: dict[str, Any] = {
        "items": (list[item], ...),  # type: ignore[valid-type]
        "next_cursor": (str | None, Field(description="Pass as ?cursor= for the next page; null on the last")),
    }
    return create_model(f"{item.__name__.removesuffix('Out')}Page", __base__=Out, **fields)


class ErrorDetail(Out):
    field: str | None = None
    message: str | None = None


class ErrorBody(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str
    details: list[ErrorDetail]
    request_id: str


class Error(BaseModel):
    """The one error shape of every 4xx and 5xx answer."""

    model_config = ConfigDict(defer_build=True)

    error: ErrorBody
