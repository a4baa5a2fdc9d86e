"""`chairside deploy-check`: validates template.yaml offline before a deploy.

1. cfn-lint, informational checks included;
2. the SAM translator (the transform CloudFormation runs): the API has ONE Lambda permission and no
   "Stage" stage; every async path of the transformed template has a failure destination (EventBridge
   targets: retry policy and dead-letter queue; SNS subscriptions: redrive policy; asynchronously invoked
   functions: EventInvokeConfig with an on-failure destination; SQS queues read by a function: redrive);
3. the project's own checks: policy sizes (each function's resource policy and each role's inline policy,
   estimated with the longest names AWS allows), alarms against the metrics the code emits and the
   resources that exist, and each role's actions against what its function's code calls (infra/access.py);
4. `sam validate --lint` too, when a `sam` command is found (SAM_CLI, or PATH; it wants its own venv).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from infra import access
from infra.template_functions import ASYNC_FAILURES, QUEUE_CONSUMER_ACTIONS
from infra.template_static import logical_id

REPO = Path(__file__).resolve().parent.parent
LAMBDA_POLICY_LIMIT = 20480  # bytes, a function's resource-based policy
ROLE_INLINE_POLICY_LIMIT = 10240  # characters without whitespace, all inline policies of a role
LONGEST = {"AWS::StackName": "s" * 128, "AWS::AccountId": "1" * 12, "AWS::Region": "ap-southeast-2",
           "AWS::Partition": "aws-us-gov", "AWS::URLSuffix": "amazonaws.com.cn"}
LONGEST_ID = "x" * 64  # a generated physical id or name
STRUCTURAL = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def transform(template: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation's SAM transform makes of the template (code as if `sam package` had uploaded it)."""
    import logging

    from samtranslator.translator.transform import transform as sam_transform

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its own usage metrics and feature toggles

    class _NoManagedPolicies:  # our roles name no SAM policy templates or managed policy names
        def load(self) -> dict[str, str]:
            return {}

    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://deploy-check/code.zip"
    return sam_transform(packaged, {}, _NoManagedPolicies())


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in template["Resources"].items() if r["Type"] == kind}


def _target(value: Any) -> str:
    """The logical id a Ref / GetAtt points at ('' for anything else)."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    return ""


def check_api(transformed: dict[str, Any]) -> list[str]:
    problems = []
    permissions = [p for p in _of_type(transformed, "AWS::Lambda::Permission").values()
                   if p.get("Principal") == "apigateway.amazonaws.com"]
    if len(permissions) != 1:
        problems.append(f"the API needs exactly one Lambda permission, the transform made {len(permissions)}")
    for name, stage in _of_type(transformed, "AWS::ApiGateway::Stage").items():
        if stage.get("StageName") == "Stage":
            problems.append(f"{name}: SAM's extra 'Stage' stage (set OpenApiVersion on the Api)")
    return problems


def check_failure_destinations(transformed: dict[str, Any]) -> list[str]:
    problems = []
    async_functions = set()
    for name, rule in _of_type(transformed, "AWS::Events::Rule").items():
        for target in rule.get("Targets", []):
            async_functions.add(_target(target.get("Arn")))
            if not target.get("DeadLetterConfig", {}).get("Arn") or not target.get("RetryPolicy"):
                problems.append(f"{name}: an EventBridge target without a retry policy and a dead-letter queue")
    for name, subscription in _of_type(transformed, "AWS::SNS::Subscription").items():
        if subscription.get("Protocol") == "lambda":
            async_functions.add(_target(subscription.get("Endpoint")))
            if not subscription.get("RedrivePolicy", {}).get("deadLetterTargetArn"):
                problems.append(f"{name}: an SNS subscription without a redrive policy")
    configured = {_target(config.get("FunctionName")) for config in
                  _of_type(transformed, "AWS::Lambda::EventInvokeConfig").values()
                  if config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")}
    problems += [f"{function}: invoked asynchronously without an EventInvokeConfig on-failure destination"
                 for function in sorted(async_functions - configured)]
    queues = _of_type(transformed, "AWS::SQS::Queue")
    for name, mapping in _of_type(transformed, "AWS::Lambda::EventSourceMapping").items():
        queue = _target(mapping.get("EventSourceArn"))
        if queue in queues and not queues[queue].get("RedrivePolicy"):
            problems.append(f"{name}: its queue {queue} has no redrive policy to a dead-letter queue")
    return problems


def failure_queues(transformed: dict[str, Any]) -> set[str]:
    """Every queue that receives failures: dead-letter queues, DLQs of targets and subscriptions, destinations."""
    found = set()
    for queue in _of_type(transformed, "AWS::SQS::Queue").values():
        found.add(_target(queue.get("RedrivePolicy", {}).get("deadLetterTargetArn")))
    for rule in _of_type(transformed, "AWS::Events::Rule").values():
        found |= {_target(target.get("DeadLetterConfig", {}).get("Arn")) for target in rule.get("Targets", [])}
    for subscription in _of_type(transformed, "AWS::SNS::Subscription").values():
        found.add(_target(subscription.get("RedrivePolicy", {}).get("deadLetterTargetArn")))
    for config in _of_type(transformed, "AWS::Lambda::EventInvokeConfig").values():
        found.add(_target(config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")))
    return found - {""}


def check_alarms(template: dict[str, Any], transformed: dict[str, Any]) -> list[str]:
    """Our metrics' alarms name what the code emits; every function and failure queue has its alarms; every
    alarm notifies a topic CloudWatch can publish to."""
    problems = []
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    namespace, service = variables["POWERTOOLS_METRICS_NAMESPACE"], variables["POWERTOOLS_SERVICE_NAME"]
    emitted = access.emitted_metric_names()
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    watched: dict[str, set[str]] = {}
    for name, alarm in alarms.items():
        if _target((alarm.get("AlarmActions") or [None])[0]) != "AlarmsTopic":
            problems.append(f"{name}: does not notify AlarmsTopic")
        metrics = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m] or [alarm]
        for metric in metrics:
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            for value in dimensions.values():
                watched.setdefault(_target(value), set()).add(metric["MetricName"])
            if metric["Namespace"] == namespace and (metric["MetricName"] not in emitted or dimensions != {
                    "service": service}):
                problems.append(f"{name}: {namespace}/{metric['MetricName']} {dimensions} is not a metric the code "
                                f"emits (names {sorted(emitted)}, dimensions {{'service': {service!r}}})")
    topic = template["Resources"].get("AlarmsTopic", {}).get("Properties", {})
    if str(topic.get("KmsMasterKeyId", "")).startswith("alias/aws/"):
        problems.append("AlarmsTopic: CloudWatch cannot publish to a topic under an AWS-managed key")
    for function in _of_type(template, "AWS::Serverless::Function"):
        missing = {"Errors", "Throttles"} - watched.get(function, set())
        problems += [f"{function}: no alarm on its {metric}" for metric in sorted(missing)]
    for queue in sorted(failure_queues(transformed)):
        missing = {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"} - watched.get(queue, set())
        problems += [f"{queue}: no alarm on {metric}" for metric in sorted(missing)]
    return problems


def held_actions(template: dict[str, Any], logical: str) -> set[str]:
    """What the function's role allows beyond its kind's needs: logs, X-Ray, its own queue, its destination."""
    properties = template["Resources"][logical]["Properties"]
    role = template["Resources"][_target(properties["Role"])]["Properties"]
    own_queues = {_target(event["Properties"]["Queue"]) for event in properties.get("Events", {}).values()
                  if event["Type"] == "SQS"}
    held = set()
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            targets = {_target(resource) for resource in statement["Resource"]}
            for action in statement["Action"]:
                structural = action in STRUCTURAL or (action in QUEUE_CONSUMER_ACTIONS and targets <= own_queues)
                destination = (action == "sqs:SendMessage" and targets == {ASYNC_FAILURES}
                               and "EventInvokeConfig" in properties)
                if not (structural or destination):
                    held.add(action)
    return held


def check_roles(template: dict[str, Any], actions: Callable[[str], frozenset[str]] = access.function_actions,
                names: Iterable[str] | None = None) -> list[str]:
    """Each role allows exactly what its function's code calls (and what its kind needs). `names`: the
    functions by name (`api` and the event handlers; by default those of functions/jobs.py)."""
    by_logical = {f"{logical_id(name)}Function": name for name in (names or [access.API, *access.handler_names()])}
    problems = []
    for logical in _of_type(template, "AWS::Serverless::Function"):
        if logical not in by_logical:
            problems.append(f"{logical}: no code of that name to check its role against")
            continue
        called = set(actions(by_logical[logical]))
        held = held_actions(template, logical)
        if held - called:
            problems.append(f"{logical}: its role allows {sorted(held - called)}, which its code never calls")
        if called - held:
            problems.append(f"{logical}: its code calls {sorted(called - held)}, which its role does not allow")
    return problems


def _longest(value: Any) -> Any:
    """`value` with every intrinsic replaced by the longest text it could become."""
    if isinstance(value, list):
        return [_longest(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: LONGEST.get(m[1], LONGEST_ID), value["Fn::Sub"])
    if "Ref" in value or "Fn::GetAtt" in value:
        return LONGEST.get(value.get("Ref", ""), "arn:aws-us-gov:service:ap-southeast-2:111111111111:" + LONGEST_ID)
    return {key: _longest(item) for key, item in value.items()}


def policy_sizes(transformed: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(estimated size, limit) of each function's resource policy and each role's inline policies."""
    sizes: dict[str, tuple[int, int]] = {}
    for name, permission in _of_type(transformed, "AWS::Lambda::Permission").items():
        function = _target(permission["FunctionName"])
        statement = {"Sid": name + "-" + LONGEST_ID[:20], "Effect": "Allow",
                     "Principal": {"Service": permission["Principal"]}, "Action": permission["Action"],
                     "Resource": _longest({"Ref": function}), "Condition": {
                         "StringEquals": {"AWS:SourceAccount": LONGEST["AWS::AccountId"]},
                         "ArnLike": {"AWS:SourceArn": _longest(permission.get("SourceArn", ""))}}}
        used = sizes.get(f"{function} resource policy", (0, 0))[0]
        sizes[f"{function} resource policy"] = (used + len(json.dumps(statement)), LAMBDA_POLICY_LIMIT)
    for name, role in _of_type(transformed, "AWS::IAM::Role").items():
        text = json.dumps(_longest(role.get("Policies", [])), separators=(",", ":"))
        sizes[f"{name} inline policies"] = (len(re.sub(r"\s", "", text)), ROLE_INLINE_POLICY_LIMIT)
    return sizes


def check_policy_sizes(transformed: dict[str, Any], margin: float = 0.5) -> list[str]:
    return [f"{name}: about {size} of {limit} allowed" for name, (size, limit) in policy_sizes(transformed).items()
            if size > limit * margin]


def project_checks(template: dict[str, Any]) -> list[str]:
    transformed = transform(template)
    return (check_api(transformed) + check_failure_destinations(transformed) + check_alarms(template, transformed)
            + check_roles(template) + check_policy_sizes(transformed))


def _tool(name: str) -> str | None:
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)


def _run(command: list[str]) -> tuple[int, str]:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
           "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    return result.returncode, (result.stdout + result.stderr).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chairside deploy-check", description=__doc__.split("\n")[0])
    parser.add_argument("--template", default=str(REPO / "template.yaml"))
    args = parser.parse_args(argv)
    path = Path(args.template)
    failed = False
    lint = _tool("cfn-lint")
    code, output = _run([lint, "--include-checks", "I", "--", str(path)]) if lint else (1, "cfn-lint not found")
    print(f"cfn-lint (informational checks included): {'clean' if code == 0 else 'FAILED'}")
    if code:
        failed = True
        print(output)
    template = load(path.read_text(encoding="utf-8"))
    problems = project_checks(template)
    print(f"SAM transform and project checks: {'clean' if not problems else 'FAILED'}")
    for problem in problems:
        print(f"  - {problem}")
    for name, (size, limit) in sorted(policy_sizes(transform(template)).items()):
        print(f"  {name}: ~{size} of {limit}")
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if sam:
        code, output = _run([sam, "validate", "--lint", "-t", str(path)])
        print(f"sam validate --lint: {'clean' if code == 0 else 'FAILED'}")
        if code:
            failed = True
            print(output)
    else:
        print("sam validate --lint: skipped (no `sam`: set SAM_CLI to it, see docs/DEPLOY.md)")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
