"""The REST API in template.yaml: defined by the route table's OpenAPI document, one Lambda permission,
Cognito on every private route, the gateway's own checks, throttling and JSON access logs."""

from __future__ import annotations

import json

from functions.routes import all_routes
from tests.templates import api_operations, referenced


def test_only_public_routes_skip_the_cognito_authorizer(committed) -> None:
    body = committed["Resources"]["Api"]["Properties"]["DefinitionBody"]
    scheme = body["components"]["securitySchemes"]["CognitoAuthorizer"]
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools", "providerARNs": [{"Fn::GetAtt": ["UserPool", "Arn"]}]}
    operations = api_operations(committed)
    public = {route for route, operation in operations.items() if operation["security"] == []}
    # DESIGN §3: health, the document, and the patient's signing page (it takes only the link's token).
    assert public == {("/health", "GET"), ("/openapi.json", "GET"), ("/sign/{token}", "GET"), ("/sign/{token}", "POST")}
    assert public == {(spec.path, spec.method) for spec in all_routes() if spec.permission is None}
    assert all(operation["security"] == [{"CognitoAuthorizer": []}]
               for route, operation in operations.items() if route not in public)


def test_the_gateway_checks_required_parameters_and_leaves_428_to_the_function(committed) -> None:
    body = committed["Resources"]["Api"]["Properties"]["DefinitionBody"]
    validator = body["x-amazon-apigateway-request-validator"]
    assert body["x-amazon-apigateway-request-validators"][validator] == {
        "validateRequestParameters": True, "validateRequestBody": False}
    operations = api_operations(committed)
    required = {(route, p["name"]) for route, op in operations.items() for p in op["parameters"]
                if p["in"] == "query" and p["required"]}
    assert (("/patients", "GET"), "location_id") in required and (("/kpis", "GET"), "from") in required
    headers = [p for op in operations.values() for p in op["parameters"] if p["in"] == "header"]
    assert headers and not any(p["required"] for p in headers)  # missing If-Match / Idempotency-Key: 428


def test_stage_throttles_money_moving_routes_harder_and_logs_json(committed) -> None:
    api = committed["Resources"]["Api"]["Properties"]
    assert api["OpenApiVersion"] == "3.0.1"
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api["MethodSettings"]}
    money = {(spec.path, spec.method) for spec in all_routes() if spec.idempotent}
    assert money and {("/" + path.replace("/", "~1"), method) for path, method in money} <= set(settings)
    stage = settings[("/*", "*")]
    assert all(settings[("/" + p.replace("/", "~1"), m)]["ThrottlingRateLimit"] < stage["ThrottlingRateLimit"]
               for p, m in money)
    fields = json.loads(api["AccessLogSetting"]["Format"])
    assert fields["resourcePath"] == "$context.resourcePath" and "path" not in fields
    log_group = committed["Resources"][referenced(api["AccessLogSetting"]["DestinationArn"])]
    assert log_group["Properties"]["RetentionInDays"] > 0


def test_api_cors_names_the_origin_parameter_and_our_headers(committed) -> None:
    api = committed["Resources"]["Api"]["Properties"]
    assert api["TracingEnabled"] is True
    # The AllowedOrigin parameter, or (left empty) the console's own CloudFront origin, in single quotes.
    origin = {"Fn::If": ["HasAllowedOrigin", {"Ref": "AllowedOrigin"},
                         {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}]}
    assert api["Cors"]["AllowOrigin"] == {"Fn::Sub": ["'${Origin}'", {"Origin": origin}]}
    assert committed["Conditions"]["HasAllowedOrigin"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedOrigin"}, ""]}]}
    assert set(api["Cors"]["AllowHeaders"].strip("'").split(",")) == {
        "Authorization", "Content-Type", "If-Match", "Idempotency-Key",
    }
