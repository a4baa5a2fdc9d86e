"""template.yaml stays what the generator makes, matches the Chalice app, and passes cfn-lint.

The checks on the parsed template read it with their own YAML loader and compare it with `app.app`,
not with the generator's code, so a generator bug cannot hide behind itself.
"""

from __future__ import annotations

import difflib
from typing import Any

import pytest
import yaml
from chalice import Chalice

from app import app as chairside_app
from infra.schedule_expressions import is_valid
from infra.template import SIZING, render
from tests.templates import (
    EVENT_ACTIONS,
    REPO,
    TEMPLATE,
    all_schedules,
    assert_matches_chalice,
    event_app,
    functions_of,
    referenced,
)

# --- the committed template -------------------------------------------------------------------------


def test_committed_template_is_what_the_generator_renders() -> None:
    committed_text, fresh = TEMPLATE.read_text(encoding="utf-8"), render()
    if committed_text != fresh:
        diff = "".join(difflib.unified_diff(
            committed_text.splitlines(True), fresh.splitlines(True), "template.yaml", "render()", n=1
        ))
        pytest.fail(f"template.yaml is stale: run `python -m infra.template` and commit it\n{diff[:3000]}")


def test_rendering_is_deterministic() -> None:
    assert render() == render()


def test_api_operations_are_exactly_the_chalice_routes_and_event_functions_its_event_sources(committed) -> None:
    assert_matches_chalice(committed, chairside_app)


def test_api_function_runs_the_built_package(committed) -> None:
    api = functions_of(committed)["ApiFunction"]
    assert (api["Handler"], api["CodeUri"]) == ("app.app", "build/lambda")
    function_globals = committed["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.11"  # the bytecode the package ships is for 3.11
    assert function_globals["Tracing"] == "Active"
    assert function_globals["Architectures"] in (["arm64"], ["x86_64"])


def test_function_environment_has_what_shared_config_reads_in_aws(committed) -> None:
    variables = committed["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CHAIRSIDE_TABLE"] == {"Ref": "Table"}
    # The gateway's Cognito authorizer verifies tokens: no function reads the JWKS, issuer or audience.
    assert not {"CHAIRSIDE_JWKS_URL", "CHAIRSIDE_ISSUER", "CHAIRSIDE_AUDIENCE"} & set(variables)
    assert "CHAIRSIDE_CURSOR_SECRET" not in variables  # a secret, read by the one function that pages
    api_variables = functions_of(committed)["ApiFunction"]["Environment"]["Variables"]
    assert api_variables == {"CHAIRSIDE_CURSOR_SECRET_ARN": {"Ref": "CursorSecret"}}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "chairside"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Chairside"
    assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # Every CHAIRSIDE_ variable a function gets is read by the code the package ships.
    shipped = "".join(path.read_text(encoding="utf-8") for folder in ("shared", "functions")
                      for path in (REPO / folder).rglob("*.py"))
    named = {*variables, *api_variables}
    for name in sorted(n for n in named if n.startswith("CHAIRSIDE_")):
        assert f'"{name}"' in shipped or f'"{name.removeprefix("CHAIRSIDE_")}' in shipped, f"nothing reads {name}"


def test_table_is_the_single_table_of_shared_store(committed) -> None:
    table = committed["Resources"]["Table"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    names = ["pk", "sk"] + [f"gsi{n}{part}" for n in (1, 2, 3) for part in ("pk", "sk")]
    assert props["AttributeDefinitions"] == [{"AttributeName": name, "AttributeType": "S"} for name in names]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": f"gsi{n}",
            "KeySchema": [
                {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for n in (1, 2, 3)
    ]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


def test_user_pool_carries_the_chairside_claims_and_users_cannot_write_them(committed) -> None:
    pool = committed["Resources"]["UserPool"]["Properties"]
    attributes = {item["Name"]: item for item in pool["Schema"]}
    assert set(attributes) == {"org", "role", "locations"}
    assert all(item["AttributeDataType"] == "String" for item in attributes.values())
    assert attributes["org"]["Mutable"] is False
    client = committed["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert not [name for name in client["WriteAttributes"] if name.startswith("custom:")]


def test_parameters_and_outputs(committed) -> None:
    parameters = committed["Parameters"]
    assert set(parameters) == {"Stage", "SenderEmail", "AllowedOrigin", "AlarmEmail"}
    assert set(committed["Outputs"]) == {"ApiUrl", "UserPoolId", "UserPoolClientId", "TableName", "ConsoleUrl",
                                         "ConsoleBucketName", "ConsoleDistributionId", "HostedUiDomain"}


def assert_least_privilege(template: dict[str, Any]) -> None:
    """Own roles only, no managed policy; `*` only where AWS has no narrower resource, and an SMS role
    that may not publish to any topic."""
    for name, props in functions_of(template).items():
        assert "Policies" not in props, f"{name}: SAM would add managed policies with `*` resources"
        role = template["Resources"][referenced(props["Role"])]["Properties"]
        assert "ManagedPolicyArns" not in role
        (policy,) = role["Policies"]
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements:
            if "*" in statement["Resource"]:
                assert statement["Resource"] == ["*"], statement
                assert set(statement["Action"]) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords",
                                                    "sns:Publish"}, statement
        if any("sns:Publish" in s["Action"] and s["Resource"] == ["*"] for s in statements):
            (deny,) = [s for s in statements if s["Effect"] == "Deny"]
            assert deny == {"Effect": "Deny", "Action": ["sns:Publish"],
                            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}]}
        for statement in statements:
            if any(action.startswith("dynamodb:") for action in statement["Action"]):
                allowed = [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/*"}]
                assert statement["Resource"] == (allowed if statement["Action"] == ["dynamodb:Query"]
                                                 else allowed[:1])


def test_every_function_has_its_own_least_privilege_role(committed, events_template) -> None:
    assert_least_privilege(committed)
    assert_least_privilege(events_template[1])


# --- event sources, through the throwaway app --------------------------------------------------------


def test_event_sources_become_functions_with_matching_triggers(events_template) -> None:
    _, template, throwaway = events_template
    assert_matches_chalice(template, throwaway)
    functions = functions_of(template)
    assert functions["NightlyPlannerFunction"]["Handler"] == "app.plan_nightly"
    planner_concurrency = functions["NightlyPlannerFunction"]["ReservedConcurrentExecutions"]
    assert planner_concurrency == SIZING["schedule"].reserved_concurrency
    assert functions["LocationWorkerFunction"]["Timeout"] == SIZING["sqs"].timeout_seconds
    assert functions["InboundSmsFunction"]["MemorySize"] == SIZING["sns"].memory_mb
    sqs = functions["LocationWorkerFunction"]["Events"]["Sqs"]["Properties"]
    assert sqs["ScalingConfig"] == {"MaximumConcurrency": 4}
    queue = template["Resources"]["LocationJobsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= SIZING["sqs"].timeout_seconds
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CHAIRSIDE_LOCATION_JOBS_QUEUE_URL"] == {"Ref": "LocationJobsQueue"}
    assert "CHAIRSIDE_INBOUND_SMS_TOPIC_ARN" not in variables  # the function is its subscriber, not a publisher
    assert sorted(all_schedules(template)) == ["cron(0 2 * * ? *)", "rate(5 minutes)"]
    topic_policy = template["Resources"]["InboundSmsTopicPolicy"]["Properties"]
    assert topic_policy["Topics"] == [{"Ref": "InboundSmsTopic"}]
    (publish,) = topic_policy["PolicyDocument"]["Statement"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _actions(template: dict[str, Any], function: str) -> dict[str, list]:
    role = referenced(functions_of(template)[function]["Role"])
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    allowed: dict[str, list] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        for action in statement["Action"] if statement["Effect"] == "Allow" else []:
            allowed.setdefault(action, []).extend(statement["Resource"])
    return allowed


def test_queue_consumer_and_code_actions_get_only_their_own_resources(events_template) -> None:
    template = events_template[1]
    worker, planner, sender, api = (_actions(template, name) for name in (
        "LocationWorkerFunction", "NightlyPlannerFunction", "SendDueFunction", "ApiFunction",
    ))
    assert worker["sqs:ReceiveMessage"] == [{"Fn::GetAtt": ["LocationJobsQueue", "Arn"]}]
    assert planner["sqs:SendMessage"] == [  # its jobs, and its failure destination (EventInvokeConfig)
        {"Fn::GetAtt": ["LocationJobsQueue", "Arn"]}, {"Fn::GetAtt": ["AsyncFailuresQueue", "Arn"]}]
    assert "sqs:ReceiveMessage" not in planner and "sqs:SendMessage" not in worker  # SQS redrives by itself
    assert sender["ses:SendEmail"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}
    ]
    assert sender["sns:Publish"] == ["*"]
    assert "dynamodb:DeleteItem" not in sender and "dynamodb:PutItem" not in sender
    assert not any(action.startswith(("ses:", "sns:", "sqs:")) for action in api)


def test_schedules_in_both_templates_are_valid(committed, events_template) -> None:
    for expression in all_schedules(committed) + all_schedules(events_template[1]):
        assert is_valid(expression), expression


def test_generator_refuses_what_it_cannot_deploy() -> None:
    throwaway, routes = event_app()
    with pytest.raises(ValueError, match="no resource rule"):
        render(throwaway, routes, {**EVENT_ACTIONS, "send_due": frozenset({"sns:CreateTopic"})})
    with pytest.raises(ValueError, match="Scan"):
        render(throwaway, routes, {**EVENT_ACTIONS, "send_due": frozenset({"dynamodb:Scan"})})
    lonely = Chalice(app_name="lonely")
    lonely.schedule("rate(5 minutes)", name="enqueue")(lambda event: None)
    with pytest.raises(ValueError, match="no event handler in app.py reads one"):
        render(lonely, [], {"enqueue": frozenset({"sqs:SendMessage"})})

    external = Chalice(app_name="external")
    external.on_sqs_message(queue_arn="arn:aws:sqs:us-east-1:123456789012:theirs")(lambda event: None)
    with pytest.raises(ValueError, match="queue=..."):
        render(external, [])

    bucket = Chalice(app_name="bucket")
    bucket.on_s3_event(bucket="uploads")(lambda event: None)
    with pytest.raises(ValueError, match="not supported"):
        render(bucket, [])

    unix_cron = Chalice(app_name="unix_cron")
    unix_cron.schedule("cron(0 2 * * *)")(lambda event: None)
    with pytest.raises(ValueError, match="not an EventBridge"):
        render(unix_cron, [])

    stray = Chalice(app_name="stray")
    stray.route("/stray", methods=["GET"])(lambda: {})
    with pytest.raises(ValueError, match="differ"):
        render(stray, [])


def test_ses_bounces_and_complaints_reach_the_feedback_topic():
    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: node.value)
    template = yaml.load(TEMPLATE.read_text(), Loader=_Loader)
    destination = template["Resources"]["EmailFeedbackDestination"]["Properties"]["EventDestination"]
    assert destination["MatchingEventTypes"] == ["bounce", "complaint"]
    assert destination["SnsDestination"]["TopicARN"] == "EmailFeedbackTopic"
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CHAIRSIDE_SES_CONFIGURATION_SET"] == "EmailConfigurationSet"
