"""Request models for coverages and procedure history.

The coverage body is checked by the domain, in one place (`shared.domain.benefits.coverage`): this model
only takes the JSON object, and its schema in /openapi.json is the domain's `json_schema()`, built from
the same table of fields, bounds and defaults that the check uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, RootModel

from shared.commands.common import PageQuery, Strict
from shared.domain.benefits.coverage import json_schema


class CoverageIn(RootModel[dict[str, Any]]):
    """A coverage (DESIGN.md section 3): carrier, member, limits, COB method, frequency limits, ..."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return json_schema()


class HistoryItemIn(Strict):
    code: Annotated[str, Field(pattern=r"^[Dd]\d{4}$", examples=["D1110"])]
    tooth: Annotated[str, Field(max_length=2)] | None = None
    surfaces: Annotated[str, Field(max_length=7)] | None = None
    date: dt.date = Field(description="Local date the procedure was done (not in the future)")


class HistoryIn(Strict):
    items: Annotated[list[HistoryItemIn], Field(min_length=1, max_length=100)]


class HistoryList(PageQuery):
    pass


class PhasingApply(Strict):
    version: int = Field(ge=1, description="The plan version the proposal was made for (a stale one is 412)")
