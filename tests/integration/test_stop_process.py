"""stop_process, which stops DynamoDB Local: a child gets SIGTERM, and SIGKILL when it ignores that."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from infra.local_services import stop_process

_IGNORES_SIGTERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)"


def _child(prelude: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", f"{prelude}\nimport time\nprint('ready', flush=True)\n"
                                "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"  # its signal handling is in place
    return process


# The grace bounds the wait for a child that exits on SIGTERM (it returns as soon as it has), and is all the wait
# for one that ignores it.
@pytest.mark.parametrize(("prelude", "grace", "ended_by"),
                         [("", 30.0, signal.SIGTERM), (_IGNORES_SIGTERM, 0.5, signal.SIGKILL)])
def test_a_child_is_terminated_and_killed_when_it_ignores_that(prelude: str, grace: float, ended_by: int):
    process = _child(prelude)
    try:
        assert stop_process(process, grace=grace) is True
        assert process.returncode == -ended_by
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_child_that_already_exited_is_left_alone():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert stop_process(process) is False
    assert process.returncode == 0
