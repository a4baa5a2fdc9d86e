"""The parts of template.yaml that do not depend on the app: runtime, parameters, Cognito, API, outputs.

infra/template.py assembles these with what it derives from app.py (functions, events, queues, topics).
Intrinsic functions are str subclasses that the YAML dumper writes as `!Ref`, `!GetAtt` and `!Sub`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

RUNTIME = "python3.11"  # the build compiles bytecode with its own Python: they must agree (build_lambda.py)
ARCHITECTURE = "arm64"  # Graviton: cheaper per GB-second; infra/build_lambda.py installs matching wheels
CODE_URI = "build/lambda"  # what infra/build_lambda.py produces


class Ref(str):
    tag = "!Ref"


class GetAtt(str):
    tag = "!GetAtt"  # "Resource.Attribute"


class Sub(str):
    tag = "!Sub"


def parameters() -> dict[str, Any]:
    return {
        "Stage": {
            "Type": "String",
            "Default": "dev",
            "AllowedPattern": "^[a-z][a-z0-9]{0,15}$",
            "Description": "API Gateway stage name, also part of the user pool's name",
        },
        "CursorSecret": {
            "Type": "String",
            "NoEcho": True,
            "MinLength": 32,
            "Description": "Signs list cursors: at least 32 random characters",
        },
        "SenderEmail": {
            "Type": "String",
            "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
            "Description": "From address of e-mails to patients: an SES-verified identity in this region",
        },
        "AllowedOrigin": {
            "Type": "String",
            "AllowedPattern": "^https?://[^\\s/]+$",
            "Description": "Origin of the front-end that CORS allows, for example https://app.example.com",
        },
    }


def environment() -> dict[str, Any]:
    """What shared/config.py reads, the same for every function."""
    issuer = "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    return {
        "CHAIRSIDE_TABLE": Ref("Table"),
        "CHAIRSIDE_JWKS_URL": Sub(issuer + "/.well-known/jwks.json"),
        "CHAIRSIDE_ISSUER": Sub(issuer),
        "CHAIRSIDE_AUDIENCE": Ref("UserPoolClient"),
        "CHAIRSIDE_CURSOR_SECRET": Ref("CursorSecret"),
        "CHAIRSIDE_SENDER_EMAIL": Ref("SenderEmail"),
        "CHAIRSIDE_ALLOWED_ORIGIN": Ref("AllowedOrigin"),
        "POWERTOOLS_SERVICE_NAME": "chairside",
        "POWERTOOLS_METRICS_NAMESPACE": "Chairside",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def _custom_attribute(name: str, max_length: int, mutable: bool) -> dict[str, Any]:
    return {
        "Name": name,
        "AttributeDataType": "String",
        "Mutable": mutable,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": str(max_length)},
    }


def user_pool() -> dict[str, Any]:
    return {
        "Type": "AWS::Cognito::UserPool",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "UserPoolName": Sub("chairside-${Stage}"),
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            # Staff accounts only: an admin creates each user with a group, a role and locations.
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "Policies": {"PasswordPolicy": {
                "MinimumLength": 12,
                "RequireLowercase": True,
                "RequireUppercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }},
            # A user never moves to another group (every key starts with it); role and locations follow
            # the job. ID tokens carry them as custom:org, custom:role and custom:locations (comma-separated).
            "Schema": [
                _custom_attribute("org", 64, mutable=False),
                _custom_attribute("role", 32, mutable=True),
                _custom_attribute("locations", 2048, mutable=True),
            ],
        },
    }


def user_pool_client() -> dict[str, Any]:
    return {
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {
            "UserPoolId": Ref("UserPool"),
            "ClientName": Sub("chairside-${Stage}-web"),
            "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "IdTokenValidity": 60,
            "AccessTokenValidity": 60,
            "RefreshTokenValidity": 12,
            "TokenValidityUnits": {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"},
            "ReadAttributes": ["email", "email_verified", "custom:org", "custom:role", "custom:locations"],
            # By default a client may write every mutable attribute: a user could make themselves admin.
            # Only administrators (through IAM) set role and locations.
            "WriteAttributes": ["email"],
        },
    }


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
    response["ResponseParameters"] = {"Headers": {"Access-Control-Allow-Origin": Sub("'${AllowedOrigin}'")}}
    response["ResponseTemplates"] = {"application/json": body}
    return response


def api(cors_headers: Sequence[str], cors_methods: Sequence[str]) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Api",
        "Properties": {
            "StageName": Ref("Stage"),
            "TracingEnabled": True,
            "Cors": {
                "AllowOrigin": Sub("'${AllowedOrigin}'"),
                "AllowHeaders": "'" + ",".join(cors_headers) + "'",
                "AllowMethods": "'" + ",".join(cors_methods) + "'",
                "MaxAge": "'600'",
            },
            # Cognito's authorizer verifies the token at the edge and passes its claims to the function, which
            # only maps them (functions/api.py); locally infra/local_gateway.py plays this part (DECISIONS.md).
            "Auth": {
                "DefaultAuthorizer": "CognitoAuthorizer",
                "AddDefaultAuthorizerToCorsPreflight": False,
                "Authorizers": {"CognitoAuthorizer": {"UserPoolArn": GetAtt("UserPool.Arn")}},
            },
            "GatewayResponses": {
                "UNAUTHORIZED": _gateway_error("unauthenticated", 401, "missing or invalid bearer token"),
                "ACCESS_DENIED": _gateway_error("forbidden", 403),
                # API Gateway answers an unknown path with 403 "Missing Authentication Token".
                "MISSING_AUTHENTICATION_TOKEN": _gateway_error("not_found", 404, "no such route"),
                "THROTTLED": _gateway_error("too_many_requests", 429),
                "DEFAULT_4XX": _gateway_error("bad_request"),
                "DEFAULT_5XX": _gateway_error("gateway_error"),
            },
        },
    }


def outputs() -> dict[str, Any]:
    return {
        "ApiUrl": {
            "Description": "Base URL of the API at this stage",
            "Value": Sub("https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"),
        },
        "UserPoolId": {"Description": "Cognito user pool that issues the tokens", "Value": Ref("UserPool")},
        "UserPoolClientId": {
            "Description": "App client id: the ID tokens' audience",
            "Value": Ref("UserPoolClient"),
        },
        "TableName": {"Description": "The DynamoDB table", "Value": Ref("Table")},
    }
