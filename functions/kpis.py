"""HTTP route for the KPI report: JSON, or CSV for spreadsheets when the caller asks (`Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from functions.api import Reply, Request, Router
from functions.models import Models
from shared.domain import kpis as kpi_model
from shared.services import kpis

out = Models("functions.schemas.out.kpis")
commands = Models("shared.commands.kpis")
router = Router("kpis")

CSV_TYPE = "text/csv"
JSON_TYPE = "application/json"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@router.route("GET", "/kpis", permission="kpis:read", query=commands.KpiQuery,
              summary="KPIs of a date range per location, per coordinator and for the group (JSON or CSV)",
              response=out.KpiReport, alternate_media=(CSV_TYPE,))
def get_kpis(request: Request) -> Reply:
    q = request.query
    report = kpis.report(request.principal, q.location_id, q.from_, q.to)
    if preferred_type(request.headers.get("accept")) == CSV_TYPE:
        filename = f"kpis-{report['from']}-{report['to']}.csv"
        return Reply(to_csv(report), headers={"Content-Type": f"{CSV_TYPE}; charset=utf-8", "Vary": "Accept",
                                              "Content-Disposition": f'attachment; filename="{filename}"'})
    return Reply(report, headers={"Vary": "Accept"})


def preferred_type(accept: str | None) -> str:
    """text/csv when the Accept header prefers it to JSON (by q, ties to CSV if named); JSON otherwise."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    csv_q = weights.get(CSV_TYPE, 0.0)
    json_q = max(weights.get(JSON_TYPE, 0.0), weights.get("application/*", 0.0))
    return CSV_TYPE if csv_q > 0 and csv_q >= json_q else JSON_TYPE


# ---- CSV ---------------------------------------------------------------------------------------------

IDENTITY = ("scope", "location_id", "location_name", "coordinator_id", "from", "to", "days")


def _columns(figures: dict[str, dict[str, Any]]) -> list[str]:
    """`figure` for its value, `figure.part` for what it was computed from (per-day lists left out)."""
    return [name if part == "value" else f"{name}.{part}"
            for name, figure in figures.items() for part in figure if part != "by_day"]


def _cells(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {(name if part == "value" else f"{name}.{part}"): value
            for name, figure in figures.items() for part, value in figure.items() if part != "by_day"}


def _rows(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    span = {"from": report["from"], "to": report["to"], "days": report["days"]}
    scopes = [("location", loc["location_id"], loc["name"], loc) for loc in report["locations"]]
    if report["group"] is not None:
        scopes.insert(0, ("group", "", "", report["group"]))
    for scope, location_id, name, block in scopes:
        where = {"location_id": _text(location_id), "location_name": _text(name), **span}
        yield {"scope": scope, **where, **_cells(block["figures"])}
        for coordinator in block["coordinators"]:
            yield {"scope": f"{scope}_coordinator", **where, "coordinator_id": _text(coordinator["coordinator_id"]),
                   **_cells(coordinator["figures"])}


def _text(value: str | None) -> str:
    """A text cell from user data, kept from being read as a formula by a spreadsheet."""
    text = value or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def to_csv(report: dict[str, Any]) -> str:
    """One row for the group (when shown), one per location, one per coordinator under each."""
    columns = [*IDENTITY, *_columns(kpi_model.figures(kpi_model.Summary(days=1)))]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\r\n")
    writer.writeheader()
    for row in _rows(report):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue()
