"""`chairside run` end to end: it starts, serves, keeps data across restarts, and nothing it started outlives it,
whether it is stopped politely or its process group is killed (what a timeout or a supervisor does)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local_services import free_ports, port_is_free
from tests.factories import location_body, patient_body
from tests.helpers import CACHE

pytestmark = pytest.mark.ddblocal

_READY_WITHIN_S = 120  # bounds, not timings: a loaded machine only makes a run wait longer
_GONE_WITHIN_S = 30


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


def _stat(path: Path) -> list[str] | None:
    """The fields of a /proc .../stat file after the command name (state, ppid, pgrp, ...); None when gone."""
    try:
        return path.read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _running(pid: int) -> bool:
    """True while any thread of pid runs. A JVM's main thread shows as a zombie while its other threads are still
    exiting (and still hold its port); a dead process stays listed until its reaper (here PID 1, which may be
    slow) waits for it."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return False
    return any((stat := _stat(task / "stat")) is not None and stat[0] not in ("Z", "X") for task in tasks)


def _group_members(pgid: int) -> list[int]:
    """The running processes of a process group (whatever they are: java, npm, anything the stack started)."""
    members = []
    for entry in Path("/proc").iterdir():
        stat = _stat(entry / "stat") if entry.name.isdigit() else None
        if stat is not None and int(stat[2]) == pgid and _running(int(entry.name)):
            members.append(int(entry.name))
    return members


def _ignores_sigint(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16)
    return bool(ignored & (1 << (signal.SIGINT - 1)))


def _left_running(pgid: int, pids: list[int]) -> list[int]:
    """What still runs of `pids` and of the group after up to _GONE_WITHIN_S (empty at once when all is gone)."""
    deadline = time.monotonic() + _GONE_WITHIN_S
    while True:
        left = sorted({pid for pid in pids if _running(pid)} | set(_group_members(pgid)))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


class _Stack:
    """`chairside run` in a session (and process group) of its own; a thread collects its output."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self.process = subprocess.Popen([sys.executable, "-m", "infra.cli", "run"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.pgid = self.process.pid
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.append(line)
            if "API ready" in line:
                self._ready.set()
        self._ready.set()  # it ended without getting ready

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def wait_ready(self) -> dict:
        """The run's state file (ports and pids) once the API answers."""
        assert self._ready.wait(_READY_WITHIN_S) and "API ready" in self.output, "not ready:\n" + self.output
        return json.loads((Path(self.env["CHAIRSIDE_HOME"]) / "run.json").read_text())

    def wait_exited(self) -> int:
        returncode = self.process.wait(timeout=_GONE_WITHIN_S)
        self._reader.join(timeout=_GONE_WITHIN_S)
        return returncode

    def kill_group(self) -> None:
        # The pgid cannot name another group while any member of this one lives (Linux keeps the id reserved).
        if self.process.poll() is None or _group_members(self.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def _running_stack(env: dict) -> Iterator[_Stack]:
    stack = _Stack(env)
    try:
        yield stack
    finally:
        stack.kill_group()  # whatever failed or timed out, nothing this test started outlives it


def test_run_serves_persists_and_stops_cleanly(tmp_path):
    api_port, ddb_port, moto_port = free_ports(3)
    env = {**os.environ, "CHAIRSIDE_HOME": str(tmp_path / "home"), "CHAIRSIDE_CACHE": str(CACHE),
           "CHAIRSIDE_API_PORT": str(api_port), "CHAIRSIDE_DYNAMODB_PORT": str(ddb_port),
           "CHAIRSIDE_MOTO_PORT": str(moto_port)}
    env.pop("CHAIRSIDE_JWKS_FILE", None)
    base = f"http://127.0.0.1:{api_port}"

    with _running_stack(env) as stack:
        java = stack.wait_ready()["dynamodb_pid"]
        assert os.getpgid(java) == stack.pgid, "java is in the stack's process group: killing the group kills it"
        assert _ignores_sigint(java), "a Ctrl-C leaves java for the stack to stop after the API"
        assert _call(base, "GET", "/health") == (200, {"status": "ok"})
        token = subprocess.run([sys.executable, "-m", "infra.cli", "token", "--org", "org_demo", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        status, demo = _call(base, "GET", "/locations", token)
        assert status == 200 and len(demo["items"]) == 2, "the demo group is seeded"
        status, location = _call(base, "POST", "/locations", token, location_body())
        assert status == 201
        status, patient = _call(base, "POST", "/patients", token, patient_body(location["id"]))
        assert status == 201

        os.killpg(stack.pgid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group gets it
        assert stack.wait_exited() == 0, stack.output
        assert _left_running(stack.pgid, [stack.pgid, java]) == []
        assert port_is_free(ddb_port) and port_is_free(moto_port) and port_is_free(api_port)
    first_output = stack.output
    assert "seeded demo group" in first_output and "chairside: stopped" in first_output
    assert "q=" not in first_output

    with _running_stack(env) as stack:
        java = stack.wait_ready()["dynamodb_pid"]
        status, again = _call(base, "GET", f"/patients/{patient['id']}", token)
        assert status == 200 and again["last_name"] == "Núñez"
        assert len(_call(base, "GET", "/locations", token)[1]["items"]) == 3, "seeded once, not twice"

        os.killpg(stack.pgid, signal.SIGKILL)  # a timeout's kill: the stack gets no chance to stop anything
        stack.wait_exited()
        assert _left_running(stack.pgid, [java]) == [], "DynamoDB Local outlived its killed stack"
        assert port_is_free(ddb_port)
    assert "seeded demo group" not in stack.output
