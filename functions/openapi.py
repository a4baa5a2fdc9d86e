"""The OpenAPI 3.1 document, generated from the route table: the request models that validate and the response
models (functions/schemas/out) that describe every answer, by status.

Every model is rendered by pydantic in one pass (`models_json_schema`), so nested models land in
`components.schemas` under one name each and no `$ref` points outside the document.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.api import RouteSpec
from functions.schemas.out import Error, Versioned

REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_DESCRIPTIONS = {
    400: "Invalid input", 401: "Missing or invalid token", 403: "Role not allowed",
    404: "Not found (also another group's or an ungranted location's ids)", 409: "Conflict",
    410: "Gone: e.g. an expired signing link",
    412: "Stale If-Match, or a signature for a version other than the presented one",
    413: "Request body too large", 422: "Domain rule broken", 428: "If-Match or Idempotency-Key required",
    503: "Token keys could not be fetched; try again",
}
# Path parameters are the API's prefixed ids (shared/ids.py); a parameter not named here is any string.
PATH_ID_PREFIXES = {"location_id": "loc", "patient_id": "pat", "plan_id": "pln", "payment_id": "pay",
                    "appointment_id": "apt", "followup_id": "fup", "financing_id": "fin", "claim_id": "clm"}
ID_CHARS = "[0-9a-hjkmnp-tv-z]{26}"


def error_statuses(spec: RouteSpec) -> list[int]:
    """The error statuses a route can answer, from what it declares (see functions/api.py's handle)."""
    statuses = {400, *spec.errors}  # unknown query parameters at least
    if spec.body is not None:
        statuses.add(413)
    if spec.permission is not None:
        statuses |= {401, 403, 404, 422, 503}
        if spec.method != "GET":
            statuses |= {409, 412}
    if spec.if_match:
        statuses.add(412)
    if spec.if_match == "required" or spec.idempotent:
        statuses.add(428)
    return sorted(statuses)


def documented_statuses(spec: RouteSpec) -> list[int]:
    return sorted({*spec.success_statuses, *error_statuses(spec)})


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop pydantic's `| None` branch."""
    variants = [v for v in schema.get("anyOf", []) if v != {"type": "null"}]
    if "anyOf" not in schema or len(variants) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**rest, **variants[0]} if len(variants) == 1 else {**rest, "anyOf": variants}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    parameters = []
    for name in re.findall(r"{(\w+)}", path):
        schema: dict[str, Any] = {"type": "string"}
        if name in PATH_ID_PREFIXES:
            schema["pattern"] = f"^{PATH_ID_PREFIXES[name]}_{ID_CHARS}$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(definition: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(definition.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": _without_null(prop)}
            for name, prop in definition.get("properties", {}).items()]


def _header_parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    parameters = []
    if spec.if_match:
        parameters.append({"name": "If-Match", "in": "header", "required": spec.if_match == "required",
                           "description": "The ETag you read: the change applies only to that version",
                           "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'}})
    if spec.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": True,
                           "description": "One key per payment attempt, kept 24 h: a retry with it replays",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
    return parameters


def _success(spec: RouteSpec, ref: dict[str, str]) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": ref}}
    for media in spec.alternate_media:
        content[media] = {"schema": {"type": "string"}}
    response: dict[str, Any] = {"description": "Success", "content": content}
    headers: dict[str, Any] = {}
    if spec.response is not None and issubclass(spec.response.model, Versioned):
        headers["ETag"] = {"description": "The version, for If-Match", "schema": {"type": "string"}}
    if spec.idempotent:
        headers["Idempotent-Replayed"] = {
            "description": "true when this is the stored answer to an earlier request with the same key",
            "schema": {"type": "string", "enum": ["true"]}}
    if headers:
        response["headers"] = headers
    return response


Refs = dict[tuple[type[BaseModel], str], dict[str, str]]


def _name(ref: dict[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[1]


def _operation(spec: RouteSpec, refs: Refs, definitions: dict[str, Any]) -> dict[str, Any]:
    parameters = _path_parameters(spec.path)
    if spec.query is not None:
        parameters += _query_parameters(definitions[_name(refs[spec.query.model, "validation"])])
    parameters += _header_parameters(spec)
    responses: dict[str, Any] = {}
    for status in spec.success_statuses:
        body = refs[spec.response.model, "serialization"] if spec.response else {"type": "object"}
        responses[str(status)] = _success(spec, body)
    error = {"application/json": {"schema": refs[Error, "serialization"]}}
    for status in error_statuses(spec):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status], "content": error}
    operation: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary, "tags": [spec.tag],
                                 "parameters": parameters, "responses": responses}
    if spec.body is not None:
        body = {"application/json": {"schema": refs[spec.body.model, "validation"]}}
        operation["requestBody"] = {"required": True, "content": body}
    if spec.permission is None:
        operation["security"] = []
    return operation


def _models(specs: list[RouteSpec]) -> tuple[Refs, dict[str, Any]]:
    """Every model in one pydantic pass: request models as validated, response models as serialised."""
    keyed = [(Error, "serialization")]
    for spec in specs:
        keyed += [(ref.model, "validation") for ref in (spec.body, spec.query) if ref is not None]
        if spec.response is not None:
            keyed.append((spec.response.model, "serialization"))
    keyed = list(dict.fromkeys(keyed))
    schemas, top = models_json_schema(keyed, ref_template=REF_TEMPLATE)  # type: ignore[arg-type]
    return dict(schemas), top.get("$defs", {})


def build_document(specs: list[RouteSpec]) -> dict[str, Any]:
    refs, definitions = _models(specs)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs, definitions)
    query_models = {_name(refs[spec.query.model, "validation"]) for spec in specs if spec.query is not None}
    schemas = {name: schema for name, schema in definitions.items() if name not in query_models}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chairside API", "version": "1.0.0",
                 "description": "Dental treatment coordination: plans, payments, scheduling, reminders, KPIs."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The document of the whole route table (imports every route module once)."""
    from functions.routes import all_routes

    return build_document(all_routes())
