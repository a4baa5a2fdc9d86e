"""`chairside deploy-check`'s checks, on the committed template and on one with every kind of event source,
and on broken copies of them: a missing failure destination, an alarm on a metric the code never writes, a
role holding an action its code never calls must each be reported."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions import jobs
from infra import access, deploy_check
from tests.templates import EVENT_ACTIONS, TEMPLATE

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "RUNBOOK.md"


@pytest.fixture(scope="module")
def transformed(committed) -> dict[str, Any]:
    return deploy_check.transform(committed)


@pytest.fixture(scope="module")
def events(events_template) -> tuple[dict[str, Any], dict[str, Any]]:
    template = deploy_check.load(events_template[0])
    return template, deploy_check.transform(template)


def test_the_transformed_api_has_one_lambda_permission_and_no_stage_named_stage(transformed, events) -> None:
    assert deploy_check.check_api(transformed) == []
    assert deploy_check.check_api(events[1]) == []
    stages = [r["Properties"]["StageName"] for r in transformed["Resources"].values()
              if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == [{"Ref": "Stage"}]


def test_every_async_path_has_a_failure_destination(transformed, events) -> None:
    assert deploy_check.check_failure_destinations(transformed) == []
    assert deploy_check.check_failure_destinations(events[1]) == []
    kinds = {r["Type"] for r in events[1]["Resources"].values()}
    assert {"AWS::Events::Rule", "AWS::SNS::Subscription", "AWS::Lambda::EventSourceMapping",
            "AWS::Lambda::EventInvokeConfig"} <= kinds


@pytest.mark.parametrize("breaks", ["rule dead-letter", "rule retries", "sns redrive", "invoke config", "sqs redrive"])
def test_a_missing_failure_destination_is_reported(events, breaks: str) -> None:
    broken = copy.deepcopy(events[1])
    resources = broken["Resources"]
    of = {kind: [r["Properties"] for r in resources.values() if r["Type"] == kind] for kind in
          ("AWS::Events::Rule", "AWS::SNS::Subscription", "AWS::SQS::Queue")}
    if breaks == "rule dead-letter":
        del of["AWS::Events::Rule"][0]["Targets"][0]["DeadLetterConfig"]
    elif breaks == "rule retries":
        del of["AWS::Events::Rule"][0]["Targets"][0]["RetryPolicy"]
    elif breaks == "sns redrive":
        del of["AWS::SNS::Subscription"][0]["RedrivePolicy"]
    elif breaks == "invoke config":
        (name,) = [n for n, r in resources.items() if n.startswith("InboundSms") and
                   r["Type"] == "AWS::Lambda::EventInvokeConfig"]
        del resources[name]
    else:
        next(q for q in of["AWS::SQS::Queue"] if "RedrivePolicy" in q).pop("RedrivePolicy")
    assert len(deploy_check.check_failure_destinations(broken)) == 1


def _emitted_by_the_code(monkeypatch, capsys, variables: dict[str, Any], name: str) -> dict[str, Any]:
    """Run the code that writes `name` with the template's powertools settings; read what it printed."""
    for key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.setenv(key, variables[key])
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    jobs._count(name, 1)
    (line,) = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    emf = json.loads(line)
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    (dimension_names,) = directive["Dimensions"]
    return {"Namespace": directive["Namespace"], "MetricNames": [m["Name"] for m in directive["Metrics"]],
            "Dimensions": [{"Name": d, "Value": emf[d]} for d in dimension_names]}


def test_failed_sends_alarm_watches_the_metric_the_code_really_emits(committed, monkeypatch, capsys) -> None:
    variables = committed["Globals"]["Function"]["Environment"]["Variables"]
    alarm = committed["Resources"]["FailedSendsAlarm"]["Properties"]
    assert "MessagesFailed" in access.emitted_metric_names()
    emitted = _emitted_by_the_code(monkeypatch, capsys, variables, "MessagesFailed")
    assert emitted["MetricNames"] == [alarm["MetricName"]] == ["MessagesFailed"]
    assert emitted["Namespace"] == alarm["Namespace"]
    assert emitted["Dimensions"] == alarm["Dimensions"] == [{"Name": "service", "Value": "chairside"}]


def test_alarms_cover_every_function_and_failure_queue_and_reach_the_topic(committed, transformed, events) -> None:
    assert deploy_check.check_alarms(committed, transformed) == []
    assert deploy_check.check_alarms(*events) == []
    assert len(deploy_check.failure_queues(transformed)) == 5
    key = committed["Resources"]["AlarmsKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and "kms:GenerateDataKey*" in s["Action"]
               for s in key)
    assert committed["Resources"]["AlarmsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmsKey"}
    subscription = committed["Resources"]["AlarmsEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_an_alarm_on_a_metric_the_code_never_emits_is_reported(committed, transformed) -> None:
    broken = copy.deepcopy(committed)
    broken["Resources"]["FailedSendsAlarm"]["Properties"]["Dimensions"] = []  # what the issue found
    (problem,) = deploy_check.check_alarms(broken, transformed)
    assert "FailedSendsAlarm" in problem
    del broken["Resources"]["FailedSendsAlarm"]
    del broken["Resources"]["SendDueMessagesFunctionErrorsAlarm"]
    del broken["Resources"]["AsyncFailuresQueueAgeAlarm"]
    assert sorted(deploy_check.check_alarms(broken, transformed)) == [
        "AsyncFailuresQueue: no alarm on ApproximateAgeOfOldestMessage",
        "SendDueMessagesFunction: no alarm on its Errors"]


def test_every_role_holds_exactly_what_its_code_calls(committed, events) -> None:
    assert deploy_check.check_roles(committed) == []
    assert deploy_check.check_roles(events[0], EVENT_ACTIONS.__getitem__, EVENT_ACTIONS) == []
    broken = copy.deepcopy(committed)
    statements = broken["Resources"]["SendDueMessagesFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    statements["Statement"].append({"Effect": "Allow", "Action": ["dynamodb:DeleteItem"], "Resource": ["*"]})
    (problem,) = deploy_check.check_roles(broken)
    assert "SendDueMessagesFunction" in problem and "dynamodb:DeleteItem" in problem and "never calls" in problem


def test_the_code_reader_finds_what_the_functions_call() -> None:
    """Known facts of the code: only the API releases idempotency claims (DeleteItem); the planner fans out
    to SQS; the sender and the SMS replies send; the cursor secret is the API's; nothing scans or
    batch-writes on a request path or in a job."""
    api, planner, worker, sender, sms, feedback = (access.function_actions(name) for name in (
        "api", "nightly_planner", "location_worker", "send_due_messages", "inbound_sms", "email_feedback"))
    assert "dynamodb:DeleteItem" in api and not any("dynamodb:DeleteItem" in a for a in (planner, sender, sms))
    assert "sqs:SendMessage" in planner and "sqs:SendMessage" not in worker | sender | api
    assert {"ses:SendEmail", "sns:Publish"} <= sender & sms and not {"ses:SendEmail", "sns:Publish"} & feedback
    assert "secretsmanager:GetSecretValue" in api and "secretsmanager:GetSecretValue" not in planner
    assert not any({"dynamodb:Scan", "dynamodb:BatchWriteItem"} & a for a in (api, planner, worker, sender, sms))


def test_policies_stay_well_under_their_limits(transformed) -> None:
    assert deploy_check.check_policy_sizes(transformed) == []
    sizes = deploy_check.policy_sizes(transformed)
    assert sizes["ApiFunction resource policy"][0] < 1024  # one statement, however many routes


def test_the_runbook_explains_every_alarm(committed) -> None:
    runbook = RUNBOOK.read_text(encoding="utf-8")
    functions = [n for n, r in committed["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    for name, resource in committed["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        generic = next((name.removeprefix(f) for f in functions if name.startswith(f)), None)
        assert (f"<Function>{generic}" if generic else name) in runbook, f"docs/RUNBOOK.md does not explain {name}"


def _cfn_lint() -> str:
    beside_python = Path(sys.executable).parent / "cfn-lint"
    found = str(beside_python) if beside_python.exists() else shutil.which("cfn-lint")
    assert found, "cfn-lint is a dev dependency: pip install -e '.[dev]'"
    return found


def test_cfn_lint_passes_on_the_template_and_on_every_kind_of_event_source(events_template, tmp_path) -> None:
    events_file = tmp_path / "events-template.yaml"
    events_file.write_text(events_template[0], encoding="utf-8")
    result = subprocess.run(
        [_cfn_lint(), "--include-checks", "I", "--", str(TEMPLATE), str(events_file)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
