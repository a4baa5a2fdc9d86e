"""The HTTP layer every route shares: one route table, authentication, validation, errors, audit.

Routes are declared with `Router.route`; app.py registers the same table with Chalice, the OpenAPI
document is generated from it and so is the SAM template's list of API events, so none can drift.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions.models import ModelRef
from shared import audit_log, authz
from shared.auth import Principal, principal_from_claims
from shared.config import settings
from shared.cursor import decode_cursor, encode_cursor
from shared.cursor_keys import signing_keys
from shared.errors import (
    ChairsideError,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    RuleViolation,
    StaleVersion,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from shared.logs import logger
from shared.store.audit import record_access

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

STATUS_BY_ERROR: dict[type[ChairsideError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    StaleVersion: 412,
    PayloadTooLarge: 413,
    RuleViolation: 422,
    PreconditionRequired: 428,
    TooManyRequests: 429,
    Unavailable: 503,
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
WRITE_METHODS = BODY_METHODS | {"DELETE"}  # audited writes: an audit item in the table as well as the event
MAX_BODY_BYTES = 256 * 1024  # the largest real request (a 200-procedure plan) is under 40 KB
MAX_JSON_DEPTH = 16  # the deepest request model nests 6 levels
VERSION_TAG = re.compile(r"[0-9]{1,15}")  # ASCII digits only: str.isdigit() also takes "²" and "٣"


@dataclass
class Request:
    principal: Principal
    params: dict[str, str]
    query: Any
    body: Any
    headers: Mapping[str, str]
    request_id: str
    raw_query: dict[str, str]
    audit_ids: list[str] = field(default_factory=list)
    source_ip: str | None = None  # the caller's address as the gateway saw it (kept with a patient's signature)

    def if_match(self) -> int:
        """The version named by If-Match: 428 when missing, 400 when it is not one of our ETags."""
        value = self.headers.get("if-match")
        if not value:
            raise PreconditionRequired("If-Match is required: send the ETag you read")
        tag = value.strip().removeprefix("W/").strip('"')
        if not VERSION_TAG.fullmatch(tag):
            raise InvalidInput("If-Match must be an ETag this API returned", [{"field": "If-Match"}])
        return int(tag)

    def changes(self, *, as_json: bool = True) -> dict[str, Any]:
        """The PATCH body's fields the caller sent (`shared.commands.common.Patch` decides the semantics)."""
        return self.body.changes(as_json=as_json)

    def audit(self, *resource_ids: str) -> None:
        """Name the resources this request read or wrote (ids only) for its audit record."""
        self.audit_ids.extend(rid for rid in resource_ids if rid)


@dataclass
class Reply:
    body: Any
    status: int | None = None  # None: the route's declared success status
    headers: dict[str, str] = field(default_factory=dict)
    version: int | None = None  # becomes the ETag


Handler = Callable[[Request], Reply | dict | list]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    permission: str | None  # None: public
    summary: str
    tag: str
    body: ModelRef | None = None
    query: ModelRef | None = None
    status: int = 200
    audit: str | None = None  # audit action, e.g. "patient.read"; None for routes without patient data
    idempotent: bool = False  # a money-moving POST: needs Idempotency-Key, may answer Idempotent-Replayed
    response: ModelRef | None = None  # the success body (functions/schemas/out), for /openapi.json
    also: tuple[int, ...] = ()  # other success statuses the handler answers with the same body
    if_match: str | None = None  # "required" (PATCH) or "optional": the route reads If-Match
    alternate_media: tuple[str, ...] = ()  # text answers the route gives when Accept asks (e.g. text/csv)
    errors: tuple[int, ...] = ()  # error statuses of a public route beyond validation (e.g. a refused link)

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def success_statuses(self) -> tuple[int, ...]:
        return (self.status, *self.also)


class Router:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        permission: str | None,
        summary: str,
        body: ModelRef | None = None,
        query: ModelRef | None = None,
        status: int = 200,
        audit: str | None = None,
        idempotent: bool = False,
        response: ModelRef | None = None,
        also: tuple[int, ...] = (),
        if_match: str | None = None,
        alternate_media: tuple[str, ...] = (),
        errors: tuple[int, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Declare a route. `response` is the model of its success body, answered with `status` (or one of
        `also`); every route declares one, so /openapi.json types every answer."""
        def register(handler: Handler) -> Handler:
            self.specs.append(
                RouteSpec(method, path, handler, permission, summary, self.tag, body, query, status, audit,
                          idempotent, response, also, if_match or ("required" if method == "PATCH" else None),
                          alternate_media, errors)
            )
            return handler

        return register


# --- authentication ---------------------------------------------------------------------------------


def authenticated(claims: Mapping[str, Any] | None) -> Principal:
    """The caller, from the claims of a token the gateway has verified: API Gateway's Cognito authorizer in
    AWS, infra/local_gateway.py locally. One mapping for both; no claims means no verified token."""
    if not claims:
        raise Unauthenticated("missing or invalid bearer token")
    return principal_from_claims(dict(claims))


# --- request parsing --------------------------------------------------------------------------------


def _field_errors(exc: ValidationError, source: str) -> list[dict[str, str]]:
    details = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        message = "unknown or read-only field" if error["type"] == "extra_forbidden" else error["msg"]
        details.append({"field": path or source, "message": message, "in": source})
    return details


def _validate(model: ModelRef, data: Any, source: str) -> BaseModel:
    from pydantic import ValidationError  # here: a route without a model never imports pydantic

    try:
        return model.model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid {source}", _field_errors(exc, source)) from exc


def _depth(data: Any) -> int:
    """How deeply JSON arrays and objects nest (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                break
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _storable(data: Any) -> bool:
    """No lone surrogate ("\\ud800" in JSON) anywhere: DynamoDB could not store it as UTF-8."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_body(spec: RouteSpec, raw: bytes | None, headers: Mapping[str, str]) -> Any:
    if spec.body is None:
        return None
    if raw and len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is over {MAX_BODY_BYTES // 1024} KB", [{"field": "body"}])
    text = (raw or b"").decode("utf-8", errors="replace").strip()
    if not text:
        return _validate(spec.body, {}, "body")
    content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidInput("request body must be application/json", [{"field": "Content-Type"}])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("request body is not valid JSON", [{"field": "body", "message": exc.msg}]) from exc
    except RecursionError as exc:
        raise InvalidInput("request body nests too deeply", [{"field": "body"}]) from exc
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object", [{"field": "body"}])
    if _depth(data) > MAX_JSON_DEPTH:
        raise InvalidInput(f"request body nests deeper than {MAX_JSON_DEPTH} levels", [{"field": "body"}])
    if not _storable(data):
        raise InvalidInput("request body has an unpaired UTF-16 surrogate", [{"field": "body"}])
    return _validate(spec.body, data, "body")


def _parse_query(spec: RouteSpec, raw_query: dict[str, str]) -> Any:
    if not _storable(raw_query):
        raise InvalidInput("a query parameter has an unpaired UTF-16 surrogate", [{"field": "query"}])
    if spec.query is None:
        if raw_query:
            raise InvalidInput("this route takes no query parameters", [{"field": k} for k in raw_query])
        return None
    return _validate(spec.query, raw_query, "query")


# --- responses --------------------------------------------------------------------------------------


def error_body(code: str, message: str, details: list | None, request_id: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}


def _status_of(exc: ChairsideError) -> int:
    if exc.code == "stale_quote":  # a signature for a version other than the presented one
        return 412
    for kind in type(exc).__mro__:
        if kind in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[kind]
    return 400


def _base_headers() -> dict[str, str]:
    """JSON, and CORS for the clinic front-ends (API Gateway answers only the preflight itself)."""
    return {"Content-Type": "application/json", "Access-Control-Allow-Origin": settings().allowed_origin,
            "Access-Control-Expose-Headers": "ETag, Idempotent-Replayed"}


@dataclass
class Outcome:
    status: int
    body: Any
    headers: dict[str, str]


def handle(spec: RouteSpec, *, headers: Mapping[str, str], params: dict[str, str], raw_query: dict[str, str],
           raw_body: bytes | None, request_id: str | None = None,
           claims: Mapping[str, Any] | None = None, source_ip: str | None = None) -> Outcome:
    """Run one route: authenticate, authorize, validate, call, render; every failure in the error shape."""
    started = time.perf_counter()
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    request_id = request_id or str(uuid.uuid4())
    principal: Principal | None = None
    request: Request | None = None
    outcome: str = "ok"
    writes: audit_log.WriteAudit | None = None
    try:
        if spec.permission is not None:
            principal = authenticated(claims)
            authz.require(principal, spec.permission)
        query = _parse_query(spec, raw_query or {})
        body = _parse_body(spec, raw_body, headers) if spec.method in BODY_METHODS else None
        request = Request(principal, params or {}, query, body, headers, request_id, raw_query or {},  # type: ignore[arg-type]
                          source_ip=source_ip)
        if spec.audit and principal is not None and spec.method in WRITE_METHODS:
            with audit_log.auditing_writes(principal.org, principal.sub, spec.audit, request_id,
                                           list((params or {}).values())) as writes:
                result = spec.handler(request)  # each unit of work it commits carries its audit item
        else:
            result = spec.handler(request)
        reply = result if isinstance(result, Reply) else Reply(result)
        response_headers = {**_base_headers(), **reply.headers}
        if reply.version is not None:
            response_headers["ETag"] = f'"{reply.version}"'
        status = reply.status or spec.status
        if status not in spec.success_statuses:  # the document would not tell clients about this answer
            logger.error("undeclared success status", extra={"route": spec.path, "status": status})
        return Outcome(status, reply.body, response_headers)
    except ChairsideError as exc:
        status = _status_of(exc)
        outcome = exc.code
        return Outcome(status, error_body(exc.code, exc.message, exc.details, request_id), _base_headers())
    except Exception:
        outcome = "error"
        logger.exception("unhandled error", extra={"route": spec.path, "method": spec.method})
        return Outcome(500, error_body("internal_error", "an internal error occurred", [], request_id),
                       _base_headers())
    finally:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info("request", extra={"route": spec.path, "method": spec.method, "outcome": outcome,
                                      "request_id": request_id, "ms": elapsed_ms,
                                      "org": principal.org if principal else None})
        if spec.audit and principal is not None:
            resource_ids = (request.audit_ids if request else []) or [v for v in (params or {}).values()]
            audit = audit_log.event(principal.org, principal.sub, spec.audit, resource_ids, outcome, request_id)
            audit_log.emit(audit)  # every access, reads included: a log line, no database write to wait for
            if (writes.items if writes else 0) == 0 and spec.method in WRITE_METHODS:
                record_access(audit)  # refused, or written outside any unit of work: its audit item apart


# --- lists ------------------------------------------------------------------------------------------


Fetch = Callable[[dict | None], tuple[list, dict | None]]


def list_page(request: Request, query: Mapping[str, Any], fetch: Fetch,
              view: Callable[[Any], dict[str, Any]] | None = None) -> dict:
    """The body of every list route: the cursor decoded (bound to this caller and this `query`, so it
    cannot be replayed against another list; signed with the current cursor key or the one before a
    rotation), one page fetched from that start key (typed entities rendered by their `view`), the ids
    listed named in the audit record, and the next cursor (signed with the current key)."""
    keys, org, sub = signing_keys(), request.principal.org, request.principal.sub
    items, last_key = fetch(decode_cursor(keys, org, sub, query, request.raw_query.get("cursor")))
    if view is not None:
        items = [view(item) for item in items]
    request.audit(*(item["id"] for item in items))
    return {"items": items, "next_cursor": encode_cursor(keys[0], org, sub, query, last_key)}


def all_specs(routers: list[Router]) -> list[RouteSpec]:
    return [spec for router in routers for spec in router.specs]


def reject_chalice_error(status: int, body: Any, request_id: str) -> dict[str, Any] | None:
    """Chalice answers some requests itself ({"Code", "Message"}); convert those to our error shape."""
    if isinstance(body, dict) and "Code" in body and "Message" in body:
        code = {403: "not_found", 404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
        return error_body(code.get(status, "error"), str(body["Message"]), [], request_id)
    return None
