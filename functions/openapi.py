"""The OpenAPI 3.1 document, generated from the route table and the request models that validate."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from functions.api import RouteSpec

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
                "request_id": {"type": "string"},
            },
        }
    },
}
ERRORS = {"400": "Invalid input", "401": "Missing or invalid token", "403": "Role not allowed",
          "404": "Not found (also another group's or an ungranted location's ids)", "409": "Conflict",
          "412": "Stale If-Match", "422": "Domain rule broken", "428": "If-Match or Idempotency-Key required",
          "429": "Too many requests"}


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", spec.path)]
    if spec.query:
        parameters += _query_parameters(spec.query)
    if spec.method == "PATCH":
        parameters.append({"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}})
    if spec.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": True,
                           "description": "One key per payment attempt, kept 24 h: a retry with it replays",
                           "schema": {"type": "string", "maxLength": 200}})
    operation: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": parameters,
        "responses": {str(spec.status): {"description": "Success",
                                         "content": {"application/json": {"schema": {"type": "object"}}}}},
    }
    if spec.idempotent:
        operation["responses"][str(spec.status)]["headers"] = {"Idempotent-Replayed": {
            "description": "true when this is the stored answer to an earlier request with the same key",
            "schema": {"type": "string", "enum": ["true"]}}}
    if spec.body:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": _schema_ref(spec.body, components)}}}
    if spec.permission is None:
        operation["security"] = []
    else:
        for status, description in ERRORS.items():
            operation["responses"][status] = {"description": description, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return operation


def build_document(specs: list[RouteSpec]) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chairside API", "version": "1.0.0",
                 "description": "Dental treatment coordination: plans, payments, scheduling, reminders, KPIs."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }
