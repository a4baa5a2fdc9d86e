"""template.yaml as the template tests read it: parsed by deploy-check's reader (not the generator's code,
so a generator bug cannot hide behind itself), the lookups the checks share, and a throwaway app with
every kind of event source the generator supports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalice import Chalice, Rate

from functions.routes import all_routes
from infra.deploy_check import load as parse
from infra.template import render

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
API_HANDLER = "app.app"


# CloudFormation YAML is read by deploy-check's reader (its short-form intrinsics), not by the generator.

def committed_template() -> dict[str, Any]:
    return parse(TEMPLATE.read_text(encoding="utf-8"))


def functions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def referenced(value: dict[str, Any]) -> str:
    """The logical id a `!Ref X` or `!GetAtt X.Arn` points at."""
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


def stack_named(template: dict[str, Any], logical: str, key: str) -> str:
    """A queue's or topic's own name: `${AWS::StackName}-<name>` -> `<name>`."""
    name = template["Resources"][logical]["Properties"][key]["Fn::Sub"]
    assert name.startswith("${AWS::StackName}-"), name
    return name.removeprefix("${AWS::StackName}-")


def api_operations(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, METHOD) -> operation of the API's OpenAPI document, each integrated with ApiFunction."""
    body = template["Resources"]["Api"]["Properties"]["DefinitionBody"]
    return {(path, method.upper()): operation for path, operations in body["paths"].items()
            for method, operation in operations.items()}


def assert_matches_chalice(template: dict[str, Any], chalice_app: Chalice) -> None:
    """API operations are exactly Chalice's routes; event functions exactly its event sources."""
    functions = functions_of(template)
    operations = api_operations(template)
    chalice_routes = {(path, method) for path in chalice_app.routes for method in chalice_app.routes[path]}
    assert set(operations) == chalice_routes
    for operation in operations.values():
        integration = operation["x-amazon-apigateway-integration"]
        assert (integration["type"], integration["httpMethod"]) == ("aws_proxy", "POST")
        assert "${ApiFunction.Arn}" in integration["uri"]["Fn::Sub"]
    assert [props["Handler"] for props in functions.values()].count(API_HANDLER) == 1
    assert "Events" not in functions["ApiFunction"]  # one permission for the whole API, no event per route

    by_handler = {props["Handler"]: props for props in functions.values() if props["Handler"] != API_HANDLER}
    assert sorted(by_handler) == sorted(source.handler_string for source in chalice_app.event_sources)
    for source in chalice_app.event_sources:
        (event,) = by_handler[source.handler_string]["Events"].values()
        props = event["Properties"]
        if hasattr(source, "schedule_expression"):
            expression = source.schedule_expression
            expected = expression if isinstance(expression, str) else expression.to_string()
            assert (event["Type"], props["Schedule"]) == ("Schedule", expected)
        elif hasattr(source, "queue"):
            assert event["Type"] == "SQS"
            queue = referenced(props["Queue"])
            assert stack_named(template, queue, "QueueName") == source.queue
            assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert props["BatchSize"] == source.batch_size
            redrive = template["Resources"][queue]["Properties"]["RedrivePolicy"]
            dead_letter = referenced(redrive["deadLetterTargetArn"])
            assert template["Resources"][dead_letter]["Type"] == "AWS::SQS::Queue"
        else:
            assert event["Type"] == "SNS"
            assert stack_named(template, referenced(props["Topic"]), "TopicName") == source.topic


def all_schedules(template: dict[str, Any]) -> list[str]:
    return [
        event["Properties"]["Schedule"]
        for props in functions_of(template).values()
        for event in props.get("Events", {}).values()
        if event["Type"] == "Schedule"
    ]


# --- a throwaway app with every kind of event source the template supports -------------------------


def event_app() -> tuple[Chalice, list]:
    throwaway = Chalice(app_name="throwaway")

    @throwaway.route("/health", methods=["GET"])
    def health() -> dict:
        return {}

    @throwaway.schedule("cron(0 2 * * ? *)", name="nightly_planner")
    def plan_nightly(event: Any) -> None: ...

    @throwaway.schedule(Rate(5, unit=Rate.MINUTES))
    def send_due(event: Any) -> None: ...

    @throwaway.on_sqs_message(queue="location-jobs", batch_size=5, maximum_concurrency=4)
    def location_worker(event: Any) -> None: ...

    @throwaway.on_sns_message(topic="inbound-sms")
    def inbound_sms(event: Any) -> None: ...

    @throwaway.on_sns_message(topic="ses-feedback")
    def email_feedback(event: Any) -> None: ...

    return throwaway, [spec for spec in all_routes() if spec.path == "/health"]


# What the throwaway handlers' code would call (app.py's come from infra/access.py reading the code).
EVENT_ACTIONS = {
    "api": frozenset({"dynamodb:GetItem", "dynamodb:Query"}),
    "nightly_planner": frozenset({"dynamodb:Query", "sqs:SendMessage"}),
    "send_due": frozenset({"dynamodb:Query", "dynamodb:UpdateItem", "ses:SendEmail", "sns:Publish"}),
    "location_worker": frozenset({"dynamodb:GetItem", "dynamodb:PutItem"}),
    "inbound_sms": frozenset({"dynamodb:GetItem"}),
    "email_feedback": frozenset({"dynamodb:UpdateItem"}),
}


def render_events_template() -> tuple[str, dict[str, Any], Chalice]:
    """The template of `event_app`: its text, parsed, and the app."""
    throwaway, routes = event_app()
    text = render(throwaway, routes, EVENT_ACTIONS)
    return text, parse(text), throwaway
