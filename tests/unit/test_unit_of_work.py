"""The unit of work against DynamoDB (moto and DynamoDB Local): all or nothing, and each write's own error."""

import pytest

from shared.errors import Conflict, RuleViolation, StaleVersion
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork


def item(sk: str, **doc) -> Record:
    return Record(pk="org_uow#TEST", sk=sk, kind="test", doc=doc)


def commit(*adds) -> None:
    uow = UnitOfWork()
    for add in adds:
        add(uow)
    uow.commit()


def test_one_put_alone_is_a_conditional_put_with_its_own_error(store):
    commit(lambda uow: uow.put_new(item("a", n=1)))
    with pytest.raises(Conflict):
        commit(lambda uow: uow.put_new(item("a", n=2)))
    with pytest.raises(StaleVersion):
        commit(lambda uow: uow.put_at(item("a", n=3), read_version=7))
    commit(lambda uow: uow.put_at(item("a", n=4), read_version=1))
    stored = records.get("org_uow#TEST", "a", consistent=True)
    assert (stored.data(), int(stored.version)) == ({"n": 4}, 2)


def test_a_failed_condition_refuses_every_write_and_raises_that_writes_error(store):
    commit(lambda uow: uow.put_new(item("b", n=1)))
    refused = RuleViolation("b moved on")
    with pytest.raises(RuleViolation, match="b moved on"):
        commit(lambda uow: uow.put_new(item("c", n=1)),
               lambda uow: uow.check(item("b"), Record.version == 5, lambda: refused),
               lambda uow: uow.put_at(item("d", n=1), None))
    assert records.get("org_uow#TEST", "c", consistent=True) is None
    assert records.get("org_uow#TEST", "d", consistent=True) is None
    commit(lambda uow: uow.put_new(item("c", n=1)),
           lambda uow: uow.check(item("b"), Record.version == 1, lambda: refused))
    assert records.get("org_uow#TEST", "c", consistent=True) is not None


def test_one_unit_holds_one_write_per_item():
    uow = UnitOfWork()
    uow.put_new(item("e"))
    with pytest.raises(ValueError):
        uow.put_at(item("e"), 1)
