"""The single DynamoDB table and its generic indexes, as pynamodb models.

Every item is a `Record`: keys (`pk`, `sk`, and up to three GSI key pairs), a `kind`, an optimistic
`version` and the entity document in `doc`. Every key starts with the group (org) id, so a query can
only ever reach one group's items. Access patterns are listed in docs/DATA-MODEL.md.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.config import settings


def _index(name: str, hash_attr: str, range_attr: str) -> type[GlobalSecondaryIndex]:
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {
        "Meta": meta,
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: UnicodeAttribute(range_key=True),
    }
    return type(f"{name.title()}Index", (GlobalSecondaryIndex,), attrs)


Gsi1 = _index("gsi1", "gsi1pk", "gsi1sk")
Gsi2 = _index("gsi2", "gsi2pk", "gsi2sk")
Gsi3 = _index("gsi3", "gsi3pk", "gsi3sk")


class Record(Model):
    class Meta:
        table_name = "chairside"  # bound from settings by bind()
        region = "us-east-1"
        host: str | None = None
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    version = NumberAttribute(default=1)
    doc = MapAttribute(default=dict)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()

    def data(self) -> dict[str, Any]:
        return self.doc.as_dict() if isinstance(self.doc, MapAttribute) else dict(self.doc or {})


INDEXES = {"gsi1": Record.gsi1, "gsi2": Record.gsi2, "gsi3": Record.gsi3}


_models: list[type[Model]] = [Record]


def register_model(model: type[Model]) -> None:
    """Another model of the same table (its own attributes), re-pointed by bind() with Record."""
    _models.append(model)
    model._connection = None


def bind(table_name: str | None = None, host: str | None = None, region: str | None = None) -> None:
    """Point the models at a table and endpoint (settings by default) and drop cached connections."""
    current = settings()
    Record.Meta.table_name = table_name or current.table_name
    Record.Meta.host = host if host is not None else current.dynamodb_endpoint
    Record.Meta.region = region or current.region
    for model in _models:
        model._connection = None
    for index in INDEXES.values():
        index._connection = None  # type: ignore[attr-defined]


def connection() -> Connection:
    """The model's own cached connection (and so its botocore client): building a client costs ~60 ms."""
    return Record._get_connection().connection


def ensure_table() -> None:
    if not Record.exists():
        Record.create_table(billing_mode="PAY_PER_REQUEST", wait=True)


bind()
