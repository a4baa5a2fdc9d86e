"""`chairside run` end to end: it starts, serves, keeps data across restarts and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from infra.local_services import free_port
from tests.factories import location_body, patient_body
from tests.helpers import CACHE

pytestmark = pytest.mark.ddblocal


def _call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _start(env: dict) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "infra.cli", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline, lines = time.monotonic() + 60, []
    for line in process.stdout:
        lines.append(line)
        if "API ready" in line:
            return process, "".join(lines)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise AssertionError("chairside run did not become ready")


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    return output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_serves_persists_and_stops_cleanly(tmp_path):
    api_port, ddb_port, moto_port = free_port(), free_port(), free_port()
    env = {**os.environ, "CHAIRSIDE_HOME": str(tmp_path / "home"), "CHAIRSIDE_CACHE": str(CACHE),
           "CHAIRSIDE_API_PORT": str(api_port), "CHAIRSIDE_DYNAMODB_PORT": str(ddb_port),
           "CHAIRSIDE_MOTO_PORT": str(moto_port)}
    env.pop("CHAIRSIDE_JWKS_FILE", None)
    base = f"http://127.0.0.1:{api_port}"

    process, started = _start(env)
    try:
        assert _call(base, "GET", "/health") == (200, {"status": "ok"})
        token = subprocess.run([sys.executable, "-m", "infra.cli", "token", "--org", "org_demo", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        status, demo = _call(base, "GET", "/locations", token)
        assert status == 200 and len(demo["items"]) == 2, "the demo group is seeded"
        status, location = _call(base, "POST", "/locations", token, location_body())
        assert status == 201
        status, patient = _call(base, "POST", "/patients", token, patient_body(location["id"]))
        assert status == 201
    finally:
        first_output = _stop(process)
    assert "stopped" in first_output and "seeded demo group" in started
    assert not _alive(process.pid)
    assert "q=" not in first_output

    process, started = _start(env)
    try:
        status, again = _call(base, "GET", f"/patients/{patient['id']}", token)
        assert status == 200 and again["last_name"] == "Núñez"
        assert len(_call(base, "GET", "/locations", token)[1]["items"]) == 3, "seeded once, not twice"
    finally:
        second_output = _stop(process)
    assert "seeded demo group" not in started + second_output
    leftover = subprocess.run(["pgrep", "-f", f"-port {ddb_port}"], capture_output=True, text=True).stdout
    assert leftover.strip() == "", "DynamoDB Local was left running"
