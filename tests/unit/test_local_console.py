"""The local stack's extras: the console's files and the local-only sign-in (never in the Lambda's routes)."""

from __future__ import annotations

import json

import jwt

from functions.routes import all_routes
from infra.local_console import mint_local_token, static_file


def test_the_lambda_route_table_has_no_local_or_console_route():
    paths = {spec.path for spec in all_routes()}
    assert not [p for p in paths if p.startswith(("/local", "/console"))]


def test_local_token_carries_the_chosen_group_role_and_locations(keys_dir):
    status, body = mint_local_token(keys_dir, {"org": "org_demo", "role": "coordinator",
                                               "locations": ["loc_" + "a" * 26], "sub": "coord-1"})
    assert status == 200
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert (claims["org"], claims["role"], claims["locations"], claims["sub"]) == (
        "org_demo", "coordinator", ["loc_" + "a" * 26], "coord-1")


def test_local_token_refuses_bad_input_in_the_error_shape(keys_dir):
    status, body = mint_local_token(keys_dir, {"org": "Org Demo", "role": "root", "locations": ["nowhere"]})
    assert status == 400
    assert {d["field"] for d in body["error"]["details"]} == {"org", "role", "locations"}
    assert mint_local_token(keys_dir, ["not", "an", "object"])[0] == 400


def test_static_files_stay_inside_the_build_and_unknown_routes_get_the_app(tmp_path):
    (tmp_path / "index.html").write_text("<html>app</html>")
    (tmp_path / "sign.html").write_text("<html>sign</html>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("no")
    assert static_file(tmp_path, "/console/assets/app.js")[::2] == (200, "text/javascript; charset=utf-8")
    assert static_file(tmp_path, "/console/")[1] == b"<html>app</html>"
    assert static_file(tmp_path, "/console/plans/anything")[1] == b"<html>app</html>"
    assert static_file(tmp_path, "/console/../secret.txt")[0] == 404
    assert static_file(tmp_path, "/console/missing.js")[0] == 404
    assert static_file(tmp_path, "/console/s")[1] == b"<html>sign</html>"  # the short signing link


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_ref_of_the_openapi_document_resolves():
    """The console's client is generated from this document; a dangling $ref stops the generator."""
    from infra.console_build import openapi_text

    document = json.loads(openapi_text())
    for ref in set(_refs(document)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], ref
