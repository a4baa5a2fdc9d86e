"""The whole route table, in one list: app.py registers it, OpenAPI and template.yaml are built from it."""

from __future__ import annotations

from functions import (
    appointments,
    followups,
    kpis,
    locations,
    messages,
    patients,
    payments,
    plans,
    signing,
    system,
)
from functions.api import RouteSpec, all_specs

ROUTERS = [system.router, locations.router, patients.router, plans.router, appointments.router, followups.router,
           messages.router, kpis.router, payments.router, signing.router]


def all_routes() -> list[RouteSpec]:
    return all_specs(ROUTERS)
