"""A cold start registers every route from the generated index and loads a route's code on its first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from functions import routes
from functions.route_index import ROUTES

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
import app
loaded_at_import = sorted(m for m in sys.modules if m.startswith(("functions.", "shared.", "pydantic", "pynamodb")))
event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": "r", "path": "/health"}}
assert app.app(event, None)["statusCode"] == 200
from functions.route_index import ROUTES
route_modules = sorted(m for m in sys.modules if m in {"functions." + r[3] for r in ROUTES})
import functions.patients  # declares its routes; a GET /patients/{id} validates no model
models_loaded = sorted(m for m in sys.modules if m.startswith(("pydantic", "shared.commands", "functions.schemas")))
stores = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("shared.store."))
print(json.dumps({"import": loaded_at_import, "after_health": route_modules, "route_module": models_loaded,
                  "stores": stores}))
"""


def test_the_index_is_generated_from_the_route_table() -> None:
    assert routes.INDEX_FILE.read_text(encoding="utf-8") == routes.index_source(), (
        "functions/route_index.py is stale: run `python -m functions.routes`")
    assert [(m, p) for m, p, *_ in ROUTES] == [(s.method, s.path) for s in routes.all_routes()]


def test_every_index_entry_names_its_route() -> None:
    for method, path, name, module, public in ROUTES:
        spec = routes.spec_named(module, name)
        assert (spec.method, spec.path, spec.permission is None) == (method, path, public)


def test_import_app_loads_no_route_module_request_model_or_store_and_a_request_only_its_own_without_models() -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1",
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["import"] == ["functions.route_index", "shared.config", "shared.logs", "shared.observability"]
    assert loaded["after_health"] == ["functions.system"]
    assert loaded["route_module"] == [], "declaring routes imports no model: functions.api.ModelRef defers it"
    other_kinds = {"appointments", "financing", "followups", "outbox", "payments", "plans"}
    assert not other_kinds & set(loaded["stores"]), "the patient routes import only their own repositories"
