"""The local processes of the stack: DynamoDB Local (a Java process) and moto's server (in-process).

moto's server stands in for SES, SNS, SQS and EventBridge. Clients reach both on 127.0.0.1, and
whoever starts one stops it (``with`` blocks, or ``stop()``; DynamoDB Local also at interpreter exit).
java stays in its starter's process group, so killing that group (a test's timeout, a supervisor) kills
java too, even when its starter never got to stop it.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from infra.ddb_local import (
    DYNAMODB_LOCAL_JAR,
    DYNAMODB_LOCAL_NATIVE_LIBS,
    DYNAMODB_LOCAL_NPM_VERSION,
    MissingTool,
    ensure_dynamodb_local,
    require_java,
)

LOOPBACK = "127.0.0.1"
MOTO_REQUIRED = "moto's server is required for the local stack: pip install 'moto[server]==5.2.5'"

_STOP_GRACE_S = 5.0
# Starts a program with SIGINT ignored (inherited across exec; the JVM then installs no handler for it): a
# Ctrl-C in a terminal goes to the whole foreground group, and java must outlive it until its starter has
# stopped what uses it (the stack stops the API and the schedules first).
_IGNORING_SIGINT = ("/bin/sh", "-c", 'trap "" INT && exec "$0" "$@"')
_LOG_TAIL_LINES = 20


class PortInUse(RuntimeError):
    """The requested port already has a listener."""


# --- small network helpers ---------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports on 127.0.0.1 that nothing listens on right now. The sockets stay open
    until all are chosen: `free_port()` twice may give the same port twice, since the first is free
    again as soon as it is closed."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    """True when a server could listen on host:port (SO_REUSEADDR, so TIME_WAIT leftovers don't count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def http_answers(url: str, timeout: float = 0.5) -> bool:
    """True when an empty HTTP POST to url gets any HTTP response (an error status counts: it's up)."""
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def wait_for_http(url: str, timeout: float = 30.0, *, give_up: Callable[[], bool] | None = None) -> bool:
    """Poll url until it answers; False after timeout seconds, or as soon as give_up() returns True."""
    deadline = time.monotonic() + timeout
    while True:
        if give_up is not None and give_up():
            return False
        if http_answers(url):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


# --- DynamoDB Local --------------------------------------------------------------------------------------


class DynamoDBLocal:
    """DynamoDB Local as a child process: `with DynamoDBLocal(cache_dir) as ddb: ddb.endpoint_url`.

    data_dir=None keeps tables in memory; a folder keeps them across restarts (-dbPath). -sharedDb
    makes every credential and region see the same tables. DynamoDB Local has no bind-address option
    (its Jetty server listens on all interfaces, checked on 3.3.0), so it cannot be limited to
    loopback; clients always use 127.0.0.1, and a firewall is what keeps it off the network.
    """

    def __init__(
        self,
        cache_dir: Path,
        port: int | None = None,
        data_dir: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        # Absolute: java runs in the log folder, so relative paths would point elsewhere.
        self.cache_dir = Path(cache_dir).absolute()
        self.data_dir = None if data_dir is None else Path(data_dir).absolute()
        self.startup_timeout = startup_timeout
        self._requested_port = port
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._served = False
        self._log_offset = 0  # where this run's output starts in an appended log
        self.log_path: Path | None = None

    @property
    def port(self) -> int:
        """The port it listens on (after stop(), the one it listened on)."""
        if self._port is None:
            raise RuntimeError("DynamoDB Local is not started")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The java process id, None when not started (java runs in its starter's process group)."""
        return None if self._process is None else self._process.pid

    def start(self) -> DynamoDBLocal:
        if self._process is not None:
            raise RuntimeError(f"DynamoDB Local is already running at {self.endpoint_url}")
        java = require_java()
        port = self._requested_port if self._requested_port is not None else free_port()
        if not port_is_free(port):
            raise PortInUse(_port_taken_message(port))
        jar_dir = ensure_dynamodb_local(self.cache_dir)
        # One log per data folder (appended across restarts); in memory, one per port so that parallel
        # test workers don't share a file, removed by a clean stop() since nothing in it outlives the data.
        if self.data_dir is None:
            log_dir = self.cache_dir / "logs"
            self.log_path = log_dir / f"dynamodb-local-{port}.log"
        else:
            log_dir = self.data_dir
            self.log_path = log_dir / "dynamodb-local.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        storage = ["-inMemory"] if self.data_dir is None else ["-dbPath", str(self.data_dir)]
        command = [
            *_IGNORING_SIGINT,
            java,
            # C1 only and the serial collector: measured ~1 s faster to first answer on 2 cores, and
            # fewer threads when test workers run several instances; throughput is ample for local use.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            f"-Djava.library.path={jar_dir / DYNAMODB_LOCAL_NATIVE_LIBS}",
            "-jar",
            str(jar_dir / DYNAMODB_LOCAL_JAR),
            *storage,
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
        ]
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_offset = self._log_file.tell()
        atexit.register(self.stop)
        try:
            self._process = process = subprocess.Popen(
                command,
                cwd=log_dir,
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
            )
            self._port = port
            answered = wait_for_http(
                self.endpoint_url, self.startup_timeout, give_up=lambda: process.poll() is not None
            )
        except BaseException:  # also a stop signal while waiting: don't leave java behind
            self.stop()
            raise
        if not answered:
            self._fail_startup(port)
        self._served = True
        return self

    def _fail_startup(self, port: int) -> None:
        exit_code = self._process.poll() if self._process is not None else None
        self.stop()
        tail = self.log_tail()
        if "Address already in use" in tail:
            raise PortInUse(_port_taken_message(port))
        what = (
            f"exited with code {exit_code}"
            if exit_code is not None
            else f"did not answer within {self.startup_timeout:g} s"
        )
        raise RuntimeError(f"DynamoDB Local on port {port} {what}; end of {self.log_path}:\n{tail}")

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines java wrote in the latest start (empty once a clean in-memory stop removed it)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(max(self._log_offset, log.seek(0, os.SEEK_END) - 8192))
            text = log.read().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop java (SIGTERM, then SIGKILL after a grace period) and reap it."""
        process, served = self._process, self._served
        healthy_until_stopped = process is not None and stop_process(process)
        self._process, self._served = None, False
        atexit.unregister(self.stop)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if served and healthy_until_stopped and self.data_dir is None and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _port_taken_message(port: int) -> str:
    return f"port {port} is already in use: stop what listens there or choose another port"


def stop_process(process: subprocess.Popen[Any], grace: float = _STOP_GRACE_S) -> bool:
    """SIGTERM, up to `grace` seconds to exit, then SIGKILL; reaps it. False when it had already exited.

    A process that ignores SIGTERM, or an exception while waiting (a second Ctrl-C), still ends killed.
    """
    if process.poll() is not None:
        return False
    try:
        process.terminate()
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return True


# --- moto's server ---------------------------------------------------------------------------------------


class MotoServer:
    """moto's server on a thread of this process, standing in for SES, SNS, SQS and EventBridge.

    moto keeps its state in module-level backends, so it is shared with `mock_aws` and with any other
    MotoServer in the same process; reset() clears it.
    """

    def __init__(self, port: int | None = None) -> None:
        self._requested_port = port
        self._server: Any = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("moto's server is not started")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> MotoServer:
        if self._server is not None:
            raise RuntimeError(f"moto's server is already running at {self.endpoint_url}")
        requested = 0 if self._requested_port is None else self._requested_port
        if requested and not port_is_free(requested, LOOPBACK):
            raise PortInUse(_port_taken_message(requested))
        server = _make_moto_server(LOOPBACK, requested)
        server.start()
        if server.startup_error is not None:
            # werkzeug reports a failed bind as SystemExit(1) after printing the reason to stderr.
            error = server.startup_error
            raise RuntimeError(f"moto's server did not start on port {requested}: {error!r}") from error
        self._server = server
        self._port = int(server.get_host_and_port()[1])
        return self

    def reset(self) -> None:
        """Forget every identity, topic, queue and sent message moto holds."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _make_moto_server(host: str, port: int) -> Any:
    """A ThreadedMotoServer whose start() reports a failed bind instead of waiting for it forever."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        raise MissingTool(MOTO_REQUIRED) from error

    class _ReportingMotoServer(ThreadedMotoServer):
        startup_error: BaseException | None = None

        def _server_entry(self) -> None:
            try:
                super()._server_entry()
            except BaseException as error:  # noqa: BLE001 - handed to the starting thread
                self.startup_error = error
                self._server_ready_event.set()

    return _ReportingMotoServer(host, port, verbose=False)


__all__ = [
    "DYNAMODB_LOCAL_NPM_VERSION",
    "DynamoDBLocal",
    "MissingTool",
    "MotoServer",
    "PortInUse",
    "ensure_dynamodb_local",
    "free_port",
    "http_answers",
    "port_is_free",
    "require_java",
    "stop_process",
    "wait_for_http",
]
