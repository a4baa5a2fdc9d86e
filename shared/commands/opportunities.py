"""Query model for the treatment-opportunity worklist."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from shared.commands.common import PageQuery
from shared.commands.followups import Owner
from shared.commands.plans import LocationId
from shared.domain.opportunities import OpportunityKind

OpportunityKindIn = StrEnum("OpportunityKindIn", {kind.value: kind.value for kind in OpportunityKind})  # type: ignore[misc]


class OpportunityList(PageQuery):
    location_id: LocationId
    kind: OpportunityKindIn | None = None
    owner: Owner | None = Field(None, description="only this owner's opportunities")
    min_value_cents: Annotated[int, Field(ge=0, le=100_000_000, description="only those worth at least this")] = 0
