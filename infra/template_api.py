"""The REST API: defined by an OpenAPI document made from the route table, with ONE Lambda permission.

Why not one SAM `Api` event per route: SAM then adds an `AWS::Lambda::Permission` per route, and the API
function's resource policy reaches Lambda's 20 KB limit at about 45-50 routes (FIELD-NOTES). Here the API
is `DefinitionBody` (an `x-amazon-apigateway-integration` per operation, the Cognito authorizer as a
security scheme) and one permission covers every route of the stage. `OpenApiVersion` keeps SAM from adding
its extra "Stage" stage.

The gateway checks what it can check in the app's own terms: required path and query parameters (400 in
the API's error shape). Bodies are validated by the function (pydantic, with field details): API Gateway
models are JSON Schema draft 4, which pydantic's schemas are not (docs/DECISIONS.md). If-Match and
Idempotency-Key are documented but not required here, so that the function answers 428 as DESIGN §3 says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from functions.api import RouteSpec
from infra.template_console import allowed_origin
from infra.template_static import GetAtt, Ref, Sub

OPENAPI_VERSION = "3.0.1"
AUTHORIZER = "CognitoAuthorizer"
CORS_HEADERS = ("Authorization", "Content-Type", "If-Match", "Idempotency-Key")
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ACCESS_LOG_RETENTION_DAYS = 90
# Requests per second (steady) and burst, for the whole stage and for each money-moving method; past them
# the gateway answers 429 in the API's error shape (THROTTLED below).
STAGE_THROTTLE = (50, 100)
MONEY_THROTTLE = (5, 10)
# One JSON object per request: ids and timings, never a body, a query string or a path with ids in it.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId", "requestTime": "$context.requestTime", "ip": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod", "resourcePath": "$context.resourcePath", "status": "$context.status",
    "responseLength": "$context.responseLength", "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency", "integrationStatus": "$context.integrationStatus",
    "errorMessage": "$context.error.message", "authorizerError": "$context.authorizer.error",
    "user": "$context.authorizer.claims.sub", "xrayTraceId": "$context.xrayTraceId",
}
INTEGRATION_URI = ("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                   "${ApiFunction.Arn}/invocations")


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", spec.path)]
    if spec.query:
        schema = spec.query.model.model_json_schema()  # by alias: the names in the URL
        required = set(schema.get("required", []))
        parameters += [{"name": name, "in": "query", "required": name in required, "schema": {"type": "string"}}
                       for name in schema.get("properties", {})]
    if spec.method == "PATCH":
        parameters.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}})
    if spec.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string"}})
    return parameters


def _operation(spec: RouteSpec) -> dict[str, Any]:
    return {
        "operationId": spec.name,
        "summary": spec.summary,
        "parameters": _parameters(spec),
        "security": [] if spec.permission is None else [{AUTHORIZER: []}],
        "responses": {str(spec.status): {"description": "Success"}},
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "uri": Sub(INTEGRATION_URI),
            "passthroughBehavior": "when_no_match",
        },
    }


def gateway_document(routes: Sequence[RouteSpec]) -> dict[str, Any]:
    """The OpenAPI document API Gateway imports: every route of the table, integrated with ApiFunction."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in sorted(routes, key=lambda spec: (spec.path, spec.method)):
        operations = paths.setdefault(spec.path, {})
        if spec.method.lower() in operations:
            raise ValueError(f"two routes for {spec.method} {spec.path}")
        operations[spec.method.lower()] = _operation(spec)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Chairside API", "version": "1.0.0"},
        "paths": paths,
        "components": {"securitySchemes": {AUTHORIZER: {
            # Cognito checks the ID token at the edge; the function verifies it again (shared/auth.py), so
            # the same check runs locally, where there is no authorizer.
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [GetAtt("UserPool.Arn")]},
        }}},
        "x-amazon-apigateway-request-validators": {
            "parameters": {"validateRequestParameters": True, "validateRequestBody": False},
        },
        "x-amazon-apigateway-request-validator": "parameters",
    }


def _quoted_origin() -> dict[str, Any]:
    """The CORS origin as API Gateway wants a header value: in single quotes."""
    return {"Fn::Sub": ["'${Origin}'", {"Origin": allowed_origin()}]}


def _gateway_error(code: str, status: int | None = None, message: str | None = None) -> dict[str, Any]:
    """An answer API Gateway gives itself, in the API's error shape and readable by the front-end.

    Without a status the gateway keeps its own (413, 415, 504, ...); without a message, its reason.
    """
    reason = json.dumps(message) if message else "$context.error.messageString"  # that one comes quoted
    body = (
        f'{{"error": {{"code": "{code}", "message": {reason}, "details": [], '
        '"request_id": "$context.requestId"}}'
    )
    response: dict[str, Any] = {} if status is None else {"StatusCode": str(status)}
    response["ResponseParameters"] = {"Headers": {"Access-Control-Allow-Origin": _quoted_origin()}}
    response["ResponseTemplates"] = {"application/json": body}
    return response


def method_path(path: str) -> str:
    """A stage method setting's ResourcePath: `/payments/{id}` -> `/~1payments~1{id}`."""
    return "/" + path.replace("/", "~1")


def _throttle(resource_path: str, method: str, limits: tuple[int, int]) -> dict[str, Any]:
    rate, burst = limits
    return {"ResourcePath": resource_path, "HttpMethod": method,
            "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}


def api(routes: Sequence[RouteSpec]) -> dict[str, dict[str, Any]]:
    """The API, its access log group, the account's API Gateway logging role, and the one permission."""
    money = [spec for spec in sorted(routes, key=lambda spec: (spec.path, spec.method)) if spec.idempotent]
    api_resource = {"Type": "AWS::Serverless::Api", "DependsOn": ["ApiGatewayAccount"], "Properties": {
        "Name": Sub("${AWS::StackName}-api"),
        "StageName": Ref("Stage"),
        "OpenApiVersion": OPENAPI_VERSION,
        "DefinitionBody": gateway_document(routes),
        "TracingEnabled": True,
        "Cors": {
            "AllowOrigin": _quoted_origin(),
            "AllowHeaders": "'" + ",".join(CORS_HEADERS) + "'",
            "AllowMethods": "'" + ",".join(CORS_METHODS) + "'",
            "MaxAge": "'600'",
        },
        "AccessLogSetting": {"DestinationArn": GetAtt("ApiAccessLogGroup.Arn"),
                             "Format": json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))},
        "MethodSettings": [
            _throttle("/*", "*", STAGE_THROTTLE),
            *(_throttle(method_path(spec.path), spec.method, MONEY_THROTTLE) for spec in money),
        ],
        "GatewayResponses": {
            "UNAUTHORIZED": _gateway_error("unauthenticated", 401, "missing or invalid bearer token"),
            "ACCESS_DENIED": _gateway_error("forbidden", 403),
            # API Gateway answers an unknown path with 403 "Missing Authentication Token".
            "MISSING_AUTHENTICATION_TOKEN": _gateway_error("not_found", 404, "no such route"),
            "THROTTLED": _gateway_error("too_many_requests", 429),
            "BAD_REQUEST_PARAMETERS": _gateway_error("validation_error", 400),
            "DEFAULT_4XX": _gateway_error("bad_request"),
            "DEFAULT_5XX": _gateway_error("gateway_error"),
        },
    }}
    trust = {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    return {
        "Api": api_resource,
        "ApiAccessLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "RetentionInDays": ACCESS_LOG_RETENTION_DAYS}},
        # API Gateway writes access logs with a role set once per account and region. Retained: other APIs
        # of the account may rely on it after this stack is deleted (docs/DEPLOY.md).
        "ApiGatewayLogsRole": {"Type": "AWS::IAM::Role", "DeletionPolicy": "Retain",
                               "UpdateReplacePolicy": "Retain", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "ManagedPolicyArns": [Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                      "AmazonAPIGatewayPushToCloudWatchLogs")],
        }},
        "ApiGatewayAccount": {"Type": "AWS::ApiGateway::Account", "Properties": {
            "CloudWatchRoleArn": GetAtt("ApiGatewayLogsRole.Arn")}},
        "ApiFunctionPermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": GetAtt("ApiFunction.Arn"),
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceAccount": Ref("AWS::AccountId"),
            "SourceArn": Sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/${Stage}/*/*"),
        }},
    }
