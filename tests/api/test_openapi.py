"""/openapi.json is a typed OpenAPI 3.1 contract: every route's answers by status, every $ref resolvable, and
the statuses it documents are those the route table declares (schemathesis, tests/contract, checks that the
running app keeps to them)."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from functions.openapi import documented_statuses
from functions.routes import all_routes
from tests.factories import insured_patient, quoted_plan


def _document(http) -> dict:
    return json.loads(http.http.get("/openapi.json").body)


def test_the_document_validates_as_openapi_3_1(http):
    validate(_document(http), cls=OpenAPIV31SpecValidator)


def test_every_ref_resolves_inside_the_document(http):
    document = _document(http)
    text = json.dumps(document)
    assert "#/$defs/" not in text
    names = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
    assert names and names <= set(document["components"]["schemas"])


def test_every_answer_of_every_route_is_typed(http):
    document = _document(http)
    for spec in all_routes():
        assert spec.response is not None, f"{spec.method} {spec.path} declares no response model"
        responses = document["paths"][spec.path][spec.method.lower()]["responses"]
        for status, response in responses.items():
            schema = response["content"]["application/json"]["schema"]
            assert "$ref" in schema, f"{spec.method} {spec.path} {status} is untyped: {schema}"


def test_documented_statuses_are_the_route_tables(http):
    document = _document(http)
    for spec in all_routes():
        responses = document["paths"][spec.path][spec.method.lower()]["responses"]
        assert sorted(int(status) for status in responses) == documented_statuses(spec), spec.path
        assert set(spec.success_statuses) <= {int(s) for s in responses if int(s) < 300}


def test_a_first_payment_plan_is_201_and_a_replacement_200_both_documented(admin):
    _, patient = insured_patient(admin)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    path = f"/plans/{plan['id']}/payment-plan"
    first = admin.post(path, {"count": 6})
    again = admin.post(path, {"count": 12})
    assert (first.status_code, again.status_code) == (201, 200), (first.data, again.data)
    documented = _document(admin.client)["paths"]["/plans/{plan_id}/payment-plan"]["post"]["responses"]
    assert {"200", "201"} <= set(documented)


def test_query_enums_are_components_not_dangling_defs(http):
    parameters = _document(http)["paths"]["/followups"]["get"]["parameters"]
    kind = next(p for p in parameters if p["name"] == "kind")
    assert kind["schema"] == {"$ref": "#/components/schemas/FollowUpKindIn"}


def test_every_declared_model_resolves_to_a_pydantic_model() -> None:
    from pydantic import BaseModel

    from functions.routes import all_routes

    for spec in all_routes():
        for ref in (spec.body, spec.query, spec.response):
            assert ref is None or issubclass(ref.model, BaseModel), f"{spec.method} {spec.path}: {ref!r}"
