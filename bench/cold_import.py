"""Cold import of the API handler module `app`, beside the bare import of its third-party dependencies.

Two figures, each from fresh `python -c` processes started from the repository root with the same
environment: `import app` beside the floor (`import chalice, pynamodb.models,
aws_lambda_powertools.logging`: what any function on this stack imports), and a cold first request:
`import app` and one authenticated `GET /patients/{id}` served in process (claims in the request context,
as API Gateway's Cognito authorizer passes them), beside the floor's imports and one raw GetItem of the
same item with botocore, against DynamoDB Local.

The import is timed inside the child (interpreter start-up excluded, it is the same for both); the
parent also times the whole process and reads the child's peak RSS from wait4(). One warm-up run of
each comes first so that stale bytecode caches are rebuilt outside the samples. Then one
`-X importtime` run names the own modules (app, functions, shared) that cost the most, and the
third-party packages `app` pulls in beyond the bare set, which is where a regression shows first.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from bench import summary
from bench.common import REPO, child_env, heading, machine_line, median

BARE_MODULES = ("chalice", "pynamodb.models", "aws_lambda_powertools.logging")
APP_MODULES = ("app",)
OWN_PACKAGES = frozenset({"app", "functions", "shared"})
DEFAULT_RUNS = 15
TOP_OWN = 10
TOP_EXTRA = 5

_TIMED_IMPORT = (
    "import time\nstarted = time.perf_counter()\nimport {modules}\nprint(time.perf_counter() - started)\n"
)
_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


@dataclass(frozen=True)
class Sample:
    import_s: float
    process_s: float
    max_rss_kib: int


@dataclass(frozen=True)
class ImportCost:
    module: str
    self_us: int
    cumulative_us: int


def sample(modules: tuple[str, ...], env: dict[str, str]) -> Sample:
    """Import `modules` in a fresh interpreter; its import time, process wall time and peak RSS."""
    code = _TIMED_IMPORT.format(modules=", ".join(modules))
    # Output goes to files, not pipes, so the child is reaped by wait4 alone and its rusage is its own.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        process_s = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed, errors = out.read().decode(), err.read().decode(errors="replace")
    if child.returncode != 0:
        raise RuntimeError(f"import {', '.join(modules)} failed:\n{errors}")
    return Sample(float(printed.strip().splitlines()[-1]), process_s, usage.ru_maxrss)


# A cold first request: the child times its imports and one call, and prints its DynamoDB request count.
_APP_REQUEST = """
import json, os, time
started = time.perf_counter()
import app
from pynamodb.connection.base import Connection
calls = []
original = Connection._make_api_call
Connection._make_api_call = lambda self, name, kwargs: calls.append(name) or original(self, name, kwargs)
path = "/patients/" + os.environ["BENCH_PATIENT_ID"]
claims = json.loads(os.environ["BENCH_CLAIMS"])
context = {"resourcePath": "/patients/{patient_id}", "httpMethod": "GET", "requestId": "cold-1", "path": path,
           "authorizer": {"claims": claims}}
event = {"resource": "/patients/{patient_id}", "path": path, "httpMethod": "GET", "headers": {},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"patient_id": os.environ["BENCH_PATIENT_ID"]}, "stageVariables": None,
         "requestContext": context, "body": None, "isBase64Encoded": False}
response = app.app(event, None)
elapsed = time.perf_counter() - started
assert response["statusCode"] == 200, response
print(len(calls))
print(elapsed)
"""
_FLOOR_REQUEST = """
import json, os, time
started = time.perf_counter()
import chalice, pynamodb.models, aws_lambda_powertools.logging
import botocore.session
client = botocore.session.get_session().create_client("dynamodb", endpoint_url=os.environ["BENCH_ENDPOINT"])
item = client.get_item(TableName=os.environ["BENCH_TABLE"], Key=json.loads(os.environ["BENCH_KEY"]))
elapsed = time.perf_counter() - started
assert "Item" in item
print(1)
print(elapsed)
"""


def request_sample(code: str, env: dict[str, str]) -> tuple[Sample, int]:
    """One fresh process running `code`: its timed part, whole process, peak RSS; its DynamoDB requests."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        process_s = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, errors = out.read().decode(), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"cold request failed:\n{errors}")
    requests, elapsed = printed.strip().splitlines()[-2:]
    return Sample(float(elapsed), process_s, usage.ru_maxrss), int(requests)


def _captured_get_item(api, path: str) -> dict:
    """Serve `path` once in this process and return the Key of the GetItem it made."""
    from bench.common import Phase, captured_get_item_keys

    with captured_get_item_keys() as keys:
        api.call(Phase("capture"), "GET", path)
    return keys[0]


def request_report(runs: int, endpoint: str | None) -> str:
    """The cold first request of `app` beside the floor's imports and one raw GetItem."""
    import base64
    import json

    from bench.common import Phase, api_session
    from bench.patients import location_body, patient_body

    with api_session(endpoint) as (api, where):
        from shared.store import table

        phase = Phase("setup")
        location = api.call(phase, "POST", "/locations", location_body(), expect=201)
        patient = api.call(phase, "POST", "/patients", patient_body(location["id"], 1), expect=201)
        key = _captured_get_item(api, f"/patients/{patient['id']}")
        payload = api.token.split(".")[1]
        org = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["org"]
        claims = {"sub": "bench-user", "custom:org": org, "custom:role": "admin", "custom:locations": "*"}
        env = {**child_env(), "CHAIRSIDE_DYNAMODB_ENDPOINT": str(table.Record.Meta.host),
               "CHAIRSIDE_TABLE": table.Record.Meta.table_name, "BENCH_ENDPOINT": str(table.Record.Meta.host),
               "BENCH_TABLE": table.Record.Meta.table_name, "BENCH_KEY": json.dumps(key),
               "BENCH_PATIENT_ID": patient["id"], "BENCH_CLAIMS": json.dumps(claims),
               "POWERTOOLS_LOG_LEVEL": "WARNING"}
        request_sample(_APP_REQUEST, env)  # warm-ups
        request_sample(_FLOOR_REQUEST, env)
        app_samples, floor_samples, app_requests = [], [], 0
        for _ in range(runs):
            app_sample, app_requests = request_sample(_APP_REQUEST, env)
            app_samples.append(app_sample)
            floor_samples.append(request_sample(_FLOOR_REQUEST, env)[0])
    app_s, floor_s = median([s.import_s for s in app_samples]), median([s.import_s for s in floor_samples])
    summary.record("cold GET /patients/{id} / floor + raw GetItem", app_s / floor_s)
    app_p, floor_p = median([s.process_s for s in app_samples]), median([s.process_s for s in floor_samples])
    return "\n".join([
        "",
        "Cold first request: import + one authenticated GET /patients/{id} in process, beside the floor's",
        f"imports + one raw GetItem of the same item (botocore); {where}",
        f"{'':<26}{'imports+call':>12}  {'process':>10}  {'requests':>8}",
        f"{'app: GET /patients/{id}':<26}{_ms(app_s):>12}  {_ms(app_p):>10}  {app_requests:>8}",
        f"{'floor: raw GetItem':<26}{_ms(floor_s):>12}  {_ms(floor_p):>10}  {1:>8}",
        f"{'app / floor':<26}{app_s / floor_s:>11.2f}x  {app_p / floor_p:>9.2f}x",
    ])


def import_costs(modules: tuple[str, ...], env: dict[str, str]) -> list[ImportCost]:
    """Every module `python -X importtime` reports for importing `modules`, in import order."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {', '.join(modules)}"],
                            cwd=REPO, env=env, capture_output=True, text=True, check=True)
    costs = []
    for line in result.stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match:
            costs.append(ImportCost(match.group(4), int(match.group(1)), int(match.group(2))))
    return costs


def top_level(module: str) -> str:
    return module.split(".")[0]


def own_costs(costs: list[ImportCost], top: int = TOP_OWN) -> list[ImportCost]:
    own = [c for c in costs if top_level(c.module) in OWN_PACKAGES]
    return sorted(own, key=lambda c: c.cumulative_us, reverse=True)[:top]


def extra_packages(app_costs: list[ImportCost], bare_costs: list[ImportCost],
                   top: int = TOP_EXTRA) -> list[ImportCost]:
    """Packages (third-party or stdlib) `app` imports and the bare set doesn't, by their costliest import."""
    bare = {top_level(c.module) for c in bare_costs}
    by_package: dict[str, ImportCost] = {}
    for cost in app_costs:
        package = top_level(cost.module)
        if package in bare or package in OWN_PACKAGES:
            continue
        known = by_package.get(package)
        if known is None or cost.cumulative_us > known.cumulative_us:
            by_package[package] = cost
    return sorted(by_package.values(), key=lambda c: c.cumulative_us, reverse=True)[:top]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def _mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


def report(runs: int) -> str:
    env = child_env()
    sample(APP_MODULES, env)  # warm-ups: bytecode caches rebuilt, files in the page cache
    sample(BARE_MODULES, env)
    app_samples, bare_samples = [], []
    for _ in range(runs):  # interleaved, so drift in machine load touches both alike
        app_samples.append(sample(APP_MODULES, env))
        bare_samples.append(sample(BARE_MODULES, env))

    def medians(samples: list[Sample]) -> tuple[float, float, float]:
        return (median([s.import_s for s in samples]), median([s.process_s for s in samples]),
                median([s.max_rss_kib for s in samples]))

    app_import, app_process, app_rss = medians(app_samples)
    bare_import, bare_process, bare_rss = medians(bare_samples)
    app_costs, bare_costs = import_costs(APP_MODULES, env), import_costs(BARE_MODULES, env)
    summary.record("import app / floor", app_import / bare_import)

    lines = [
        heading("Cold import of the API handler (app)"),
        machine_line(),
        f"{runs} fresh processes each, interleaved, medians; import timed inside the child, "
        "process = whole `python -c` run",
        f"floor = import {', '.join(BARE_MODULES)}",
        "",
        f"{'':<18}{'import':>10}  {'process':>10}  {'peak RSS':>11}",
        f"{'import app':<18}{_ms(app_import):>10}  {_ms(app_process):>10}  {_mib(app_rss):>11}",
        f"{'floor':<18}{_ms(bare_import):>10}  {_ms(bare_process):>10}  {_mib(bare_rss):>11}",
        f"{'app / floor':<18}{app_import / bare_import:>9.2f}x  {app_process / bare_process:>9.2f}x  "
        f"{app_rss / bare_rss:>10.2f}x",
        f"{'app - floor':<18}{_ms(app_import - bare_import):>10}  {_ms(app_process - bare_process):>10}  "
        f"{_mib(app_rss - bare_rss):>11}",
        "",
        f"Top {TOP_OWN} own modules by cumulative import time (one -X importtime run of `import app`):",
        f"  {'cumulative':>10}  {'self':>8}  module",
    ]
    lines += [f"  {c.cumulative_us / 1000:>7.1f} ms  {c.self_us / 1000:>5.1f} ms  {c.module}"
              for c in own_costs(app_costs)]
    own = [c for c in app_costs if top_level(c.module) in OWN_PACKAGES]
    lines.append(f"  own modules' self time, summed: {sum(c.self_us for c in own) / 1000:.1f} ms "
                 f"over {len(own)} modules")
    extras = extra_packages(app_costs, bare_costs)
    lines += ["", "Packages `import app` loads beyond the bare set (costliest import of each):"]
    lines += [f"  {c.cumulative_us / 1000:>7.1f} ms  {c.module}" for c in extras] or ["  (none)"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS,
                        help=f"fresh processes per measurement (default {DEFAULT_RUNS})")
    parser.add_argument("--endpoint", default=None,
                        help="DynamoDB endpoint for the cold request (default: a fresh DynamoDB Local)")


def run(args: argparse.Namespace) -> None:
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    print(report(args.runs), flush=True)
    print(request_report(args.runs, args.endpoint), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench cold_import", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
