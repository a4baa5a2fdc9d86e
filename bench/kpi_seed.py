"""Seeding a group's KPI items for bench/kpis.py: locations through the location service, the day items
and levels the KPI write path makes (in its wire form, by batch writes), then their roll-ups by the
backfill (infra/kpi_backfill.py, which tests show builds what the write path keeps)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any


def seed(org: str, locations: int, days: list[date], coordinators: int) -> tuple[list[str], int]:
    """Locations through the location service; day items by batch writes, four writers at once; then the
    month roll-ups by the backfill, four locations at once."""
    from infra.kpi_backfill import backfill
    from shared.auth import Principal
    from shared.commands.locations import LocationCreate
    from shared.domain.kpi_months import month_of
    from shared.services import locations as location_service
    from shared.store.kpis import counter_names, day_key, level_key
    from shared.store.table import Record

    admin = Principal(sub="bench-user", org=org, role="admin", locations=("*",))
    body = LocationCreate(name="Benchmark Dental", timezone="America/New_York", phone="+15551230000")
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: location_service.create(admin, body).id, range(locations)))

    def items_of(i: int, location_id: str) -> list[dict[str, Any]]:
        """The location's levels and day items in DynamoDB's wire form (a coordinator's counters on the
        day's item, named as the write path names them)."""
        made = [_wire(level_key(org, location_id), "kpi_level",
                      {"patients_accepted": 40 + i % 9, "patients_incomplete": 11 + i % 5})]
        for d, day in enumerate(days):
            counts = {"presented": 4 + d % 3, "presented_cents": 480000 + d * 1000, "accepted": 2 + d % 2,
                      "accepted_cents": 250000, "declined": d % 2, "accepted_on_day": 2, "accept_days_sum": 5,
                      "plans_completed": 1, "patients_accepted_change": 1, "patients_incomplete_change": d % 2,
                      "appointments_completed": 14, "appointments_no_show": 1, "appointments_late_cancel": d % 2,
                      "payments_cents": 612345, "refunds_cents": d * 100, "financing_funded": d % 3 // 2}
            for c in range(coordinators):
                if (d + c + i) % 2 == 0:
                    counts.update(counter_names(COORDINATOR_DAY, f"coordinator-{c}"))
            made.append(_wire(day_key(org, location_id, day), "kpi_day", counts))
        return made

    def write(chunk: list[tuple[int, str]]) -> int:
        client, name = Record._get_connection().connection.client, Record.Meta.table_name
        made = [item for i, location_id in chunk for item in items_of(i, location_id)]
        for start in range(0, len(made), 25):  # BatchWriteItem takes 25 items
            pending = [{"PutRequest": {"Item": item}} for item in made[start:start + 25]]
            while pending:
                pending = client.batch_write_item(RequestItems={name: pending}).get("UnprocessedItems", {}).get(name)
        return len(made)

    numbered = list(enumerate(ids))
    with ThreadPoolExecutor(max_workers=4) as pool:
        written = sum(pool.map(write, [numbered[k::4] for k in range(4)]))
        months = sorted({month_of(day) for day in days})
        written += sum(pool.map(lambda location_id: backfill(org, [location_id], months)[location_id], ids))
    return ids, written


COORDINATOR_DAY = {"presented": 2, "presented_cents": 240000, "accepted": 1, "accepted_cents": 125000,
                   "accepted_on_day": 1, "accept_days_sum": 3, "patients_closed": 1}


def _wire(key: tuple[str, str], kind: str, counts: dict[str, int]) -> dict[str, Any]:
    return {"pk": {"S": key[0]}, "sk": {"S": key[1]}, "kind": {"S": kind},
            **{name: {"N": str(amount)} for name, amount in counts.items() if amount}}
