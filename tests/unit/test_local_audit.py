"""The local audit archive: events appended as JSON Lines and queried per patient and per actor."""

from __future__ import annotations

import json

from infra import cli, local_audit
from shared import audit_log


def test_audit_events_land_in_the_file_and_are_queried_per_patient_and_per_actor(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAIRSIDE_HOME", str(tmp_path))
    from infra.local_stack import audit_file, home

    sink = local_audit.attach(local_audit.FileSink(audit_file(home())))
    try:
        audit_log.emit(audit_log.event("org_a", "u-1", "patient.read", ["pat_1"], "ok", "r-1"))
        audit_log.emit(audit_log.event("org_a", "u-2", "plan.read", ["pln_1", "pat_1"], "ok", "r-2"))
        audit_log.emit(audit_log.event("org_b", "u-1", "patient.read", ["pat_1"], "not_found", "r-3"))
    finally:
        audit_log.logger.removeHandler(sink)
        sink.close()
    capsys.readouterr()
    assert cli.main(["audit", "--org", "org_a", "--patient", "pat_1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["actor"], e["action"]) for e in lines] == [("u-1", "patient.read"), ("u-2", "plan.read")]
    assert cli.main(["audit", "--org", "org_a", "--actor", "u-1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["request_id"] for e in lines] == ["r-1"]
    assert set(lines[0]) == {"audit", "org", "actor", "action", "resource_ids", "outcome", "request_id", "at"}
