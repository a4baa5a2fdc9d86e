"""The parts of template.yaml that do not depend on the app: runtime, parameters, Cognito, outputs.

infra/template.py assembles these with what it derives from app.py (API, functions, queues, topics, alarms).
Intrinsic functions are str subclasses that the YAML dumper writes as `!Ref`, `!GetAtt` and `!Sub`.
"""

from __future__ import annotations

import re
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


def logical_id(name: str) -> str:
    """`location-jobs` / `nightly_planner` -> `LocationJobs` / `NightlyPlanner` (CloudFormation ids)."""
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", name) if part]
    if not parts:
        raise ValueError(f"cannot make a CloudFormation logical id from {name!r}")
    return "".join(part[0].upper() + part[1:] for part in parts)


# Stateful resources that go with the stack (logs, queues of failures, the cursor secret, the alarms key:
# each is only of use to this stack), said explicitly; the table and the user pool are retained.
DELETED_WITH_THE_STACK = frozenset({"AWS::Logs::LogGroup", "AWS::SQS::Queue", "AWS::SecretsManager::Secret",
                                    "AWS::KMS::Key"})


class Stack(dict):
    """Resources by logical id, refusing duplicates, and what the parts tell each other: environment
    variables for every function or for one, the stack's work queues, dead-letter queues (with what they
    hold) and schedule rules, and the logical ids of the functions."""

    def __init__(self) -> None:
        super().__init__()
        self.environment: dict[str, Any] = {}
        self.function_environment: dict[str, dict[str, Any]] = {}
        self.work_queues: list[str] = []
        self.dead_letters: dict[str, str] = {}
        self.schedule_rules: list[Any] = []
        self.functions: list[str] = []

    def add(self, logical: str, resource: dict[str, Any]) -> None:
        """Add a resource; one that holds data says what deleting or replacing the stack does to it."""
        if logical in self:
            raise ValueError(f"two resources would share the logical id {logical}: rename one handler")
        if resource["Type"] in DELETED_WITH_THE_STACK and "DeletionPolicy" not in resource:
            kind, rest = resource["Type"], {k: v for k, v in resource.items() if k != "Type"}
            resource = {"Type": kind, "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete", **rest}
        self[logical] = resource


def parameters() -> dict[str, Any]:
    return {
        "Stage": {
            "Type": "String",
            "Default": "dev",
            "AllowedPattern": "^[a-z][a-z0-9]{0,15}$",
            "Description": "API Gateway stage name, also part of the user pool's name",
        },
        "SenderEmail": {
            "Type": "String",
            "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
            "Description": "From address of e-mails to patients: an SES-verified identity in this region",
        },
        "AllowedOrigin": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^https?://[^\\s/]+$",
            "Description": "Origin of a front-end that CORS allows, for example https://app.example.com; "
                           "empty: the console's own CloudFront origin",
        },
        "AlarmEmail": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
            "Description": "Who the alarms e-mail (confirm the subscription AWS sends); empty: subscribe later",
        },
    }


def environment() -> dict[str, Any]:
    """What shared/config.py reads in AWS, the same for every function. No token settings: API Gateway's
    Cognito authorizer verifies tokens there (the JWKS, issuer and audience are the local gateway's)."""
    from infra import template_console as console  # (it builds on this module's intrinsics)

    return {
        "CHAIRSIDE_TABLE": Ref("Table"),
        "CHAIRSIDE_SENDER_EMAIL": Ref("SenderEmail"),
        "CHAIRSIDE_ALLOWED_ORIGIN": console.allowed_origin(),
        "CHAIRSIDE_CONSOLE_URL": console.console_url(),
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
    from infra import template_console as console

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
            # The console signs in through the Hosted UI: authorization code with PKCE, no client secret.
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email", "profile"],
            "SupportedIdentityProviders": ["COGNITO"],
            "CallbackURLs": [Sub(console.console_url() + "/")],
            "LogoutURLs": [Sub(console.console_url() + "/")],
            "ReadAttributes": ["email", "email_verified", "custom:org", "custom:role", "custom:locations"],
            # By default a client may write every mutable attribute: a user could make themselves admin.
            # Only administrators (through IAM) set role and locations.
            "WriteAttributes": ["email"],
        },
    }


def table() -> dict[str, Any]:
    from shared.store.table import Record

    schema = Record._get_schema()

    def keys(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{"AttributeName": item["AttributeName"], "KeyType": item["KeyType"]} for item in items]

    retained = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    return {"Type": "AWS::DynamoDB::Table", **retained, "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": item["AttributeName"], "AttributeType": item["AttributeType"]}
            for item in schema["attribute_definitions"]
        ],
        "KeySchema": keys(schema["key_schema"]),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index["index_name"],
                "KeySchema": keys(index["key_schema"]),
                "Projection": {"ProjectionType": index["projection"]["ProjectionType"]},
            }
            for index in schema["global_secondary_indexes"]
        ],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
        "TimeToLiveSpecification": {"AttributeName": Record._ttl_attribute().attr_name, "Enabled": True},
    }}


def cursor_secret() -> dict[str, Any]:
    """Signs list cursors; read through shared/cursor_keys.py. Rotating it (docs/RUNBOOK.md) keeps the
    previous value as AWSPREVIOUS, which the API still accepts, so open cursors survive the rotation."""
    return {"Type": "AWS::SecretsManager::Secret", "Properties": {
        "Description": Sub("${AWS::StackName}: signs list cursors"),
        "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
    }}


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
