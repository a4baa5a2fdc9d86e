"""Response model for the KPI report (JSON; the same route also answers text/csv)."""

from __future__ import annotations

from pydantic import Field

from functions.schemas.out import Out


class Figure(Out):
    value: float | None = Field(description="The KPI; null when its denominator is 0 or it is not defined here")
    numerator: int | None = None
    denominator: int | None = None
    by_day: dict[str, int] | None = Field(
        None, description="patients_closed_per_day only, in a report of one location (location_id given): "
                          "patients closed per local date, days with none left out")
    as_of: str | None = None


class CoordinatorFigures(Out):
    coordinator_id: str
    figures: dict[str, Figure]


class LocationFigures(Out):
    location_id: str
    name: str
    timezone: str
    figures: dict[str, Figure]
    coordinators: list[CoordinatorFigures]


class GroupFigures(Out):
    location_count: int
    figures: dict[str, Figure]
    coordinators: list[CoordinatorFigures]


class KpiReport(Out):
    from_: str = Field(alias="from")
    to: str
    days: int
    locations: list[LocationFigures]
    group: GroupFigures | None
