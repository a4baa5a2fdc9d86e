"""The Chalice app as a WSGI application, so schemathesis can call it in process (no server, no sockets)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException


def wsgi(app: Any):
    gateway = LocalGateway(app, Config())

    def application(environ: dict[str, Any], start_response):
        path = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"))
        if environ.get("QUERY_STRING") and "?" not in path:
            path = f"{path}?{environ['QUERY_STRING']}"
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            answer = gateway.handle_request(environ["REQUEST_METHOD"], path, headers, body)
            status, out_headers, payload = answer["statusCode"], answer["headers"], answer["body"]
        except LocalGatewayException as exc:
            status, out_headers, payload = exc.CODE, exc.headers, exc.body or b""
        if isinstance(payload, str):
            payload = payload.encode()
        start_response(f"{status} {HTTPStatus(status).phrase}", [(k, str(v)) for k, v in out_headers.items()])
        return [payload]

    return application
