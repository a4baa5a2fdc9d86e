"""What the local stack serves beside the API: the console's files and the local sign-in.

None of this is in the Lambda's route table (app.py never sees it): in AWS the console is static files in
S3 behind CloudFront and people sign in through Cognito's Hosted UI. Locally, `/console/` serves
console/dist, `/console/config.json` tells the console to use the local sign-in, and `/local/*` lets it
pick a demo group, role and locations and mint a token with the stack's local key (the same key
`chairside token` uses; the stack listens on 127.0.0.1 only).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler

from infra.console_build import content_type
from infra.template_console import SIGN_SHORT_PATH, security_headers
from shared.auth import ROLES

CONSOLE_PREFIX = "/console"
LOCAL_PREFIX = "/local/"
_ORG = re.compile(r"^org_[0-9a-z_]{1,40}$")
_LOCATION = re.compile(r"^loc_[0-9a-z]{26}$")
_SUB = re.compile(r"^[0-9A-Za-z_.@-]{1,64}$")


def _error(code: str, message: str, details: list | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": str(uuid.uuid4())}}


def sign_in_options() -> dict[str, Any]:
    """The demo groups a local user may sign in to, with their locations, and the roles."""
    from infra.seed import DEMO_ADMIN, DEMO_ORG
    from shared.services import locations

    items, _ = locations.list_visible(DEMO_ADMIN, 100, None)
    places = [{"id": item.id, "name": item.name, "timezone": item.timezone} for item in items]
    return {"groups": [{"org": DEMO_ORG, "name": "Chairside demo group", "locations": places}], "roles": list(ROLES)}


def mint_local_token(keys_dir: Path, body: Any) -> tuple[int, dict[str, Any]]:
    """POST /local/token {org, role, locations, sub?}: a token for the local API, or 400 in the error shape."""
    from infra.local_keys import mint_token

    if not isinstance(body, dict):
        return 400, _error("invalid_input", "request body must be a JSON object")
    org, role = body.get("org"), body.get("role")
    locations = body.get("locations") or ["*"]
    sub = body.get("sub") or "local-coordinator"
    problems = []
    if not isinstance(org, str) or not _ORG.match(org):
        problems.append({"field": "org", "message": "a group id such as org_demo"})
    if role not in ROLES:
        problems.append({"field": "role", "message": f"one of {', '.join(ROLES)}"})
    if not isinstance(locations, list) or not (
            locations == ["*"] or all(isinstance(x, str) and _LOCATION.match(x) for x in locations)):
        problems.append({"field": "locations", "message": "location ids, or [\"*\"] for all"})
    if not isinstance(sub, str) or not _SUB.match(sub):
        problems.append({"field": "sub", "message": "letters, digits and _.@- only"})
    if problems:
        return 400, _error("invalid_input", "invalid sign-in", problems)
    token = mint_token(keys_dir, org=org, role=role, locations=locations, sub=sub)
    return 200, {"token": token, "org": org, "role": role, "locations": locations, "sub": sub}


def static_file(dist: Path, path: str) -> tuple[int, bytes, str]:
    """A file of the built console; unknown paths without a suffix get index.html (the app routes them), and
    `/console/s` the signing page (the short link an SMS carries), as CloudFront's function does in AWS."""
    relative = path[len(CONSOLE_PREFIX):].lstrip("/") or "index.html"
    if relative == SIGN_SHORT_PATH:
        relative = "sign.html"
    target = (dist / relative).resolve()
    if dist.resolve() not in target.parents or not target.is_file():
        if "." in relative.rsplit("/", 1)[-1]:
            return 404, b"not found", "text/plain; charset=utf-8"
        target = dist / "index.html"
    return 200, target.read_bytes(), content_type(target)


def handler_class(dist: Path, keys_dir: Path) -> type[ChaliceRequestHandler]:
    class LocalGatewayHandler(ChaliceRequestHandler):
        """Chalice's local handler, plus the console and the local sign-in; logs method and path only
        (query strings can hold patient search terms)."""

        def log_request(self, code="-", size="-") -> None:
            print(f"chairside: {self.command} {self.path.split('?')[0]} -> {code}", flush=True)

        def _generic_handle(self) -> None:
            path = self.path.split("?")[0].split("#")[0]
            if path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):
                self._console(path)
            elif path.startswith(LOCAL_PREFIX):
                self._local(path)
            else:
                super()._generic_handle()

        # Chalice binds each do_METHOD to its own _generic_handle: bind them to ours.
        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _generic_handle

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            headers = {"Content-Type": content_type, "Cache-Control": "no-store", **(extra or {})}
            if self.path.startswith(CONSOLE_PREFIX):  # the headers CloudFront adds in AWS (template_console.py)
                headers.update(security_headers())
            self._send_http_response(status, headers, body)

        def _json(self, status: int, body: Any) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _console(self, path: str) -> None:
            if self.command not in ("GET", "HEAD"):
                self._json(405, _error("method_not_allowed", "the console is read-only"))
            elif path == CONSOLE_PREFIX:
                self._send(301, b"", "text/plain", {"Location": CONSOLE_PREFIX + "/"})
            elif path == CONSOLE_PREFIX + "/config.json":
                self._json(200, {"mode": "local", "api_base": ""})
            else:
                self._send(*static_file(dist, path))

        def _local(self, path: str) -> None:
            _, raw = self._parse_payload()
            if path == "/local/sign-in-options" and self.command == "GET":
                self._json(200, sign_in_options())
            elif path == "/local/token" and self.command == "POST":
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                self._json(*mint_local_token(keys_dir, body))
            else:
                self._json(404, _error("not_found", "no such local endpoint"))

    return LocalGatewayHandler
