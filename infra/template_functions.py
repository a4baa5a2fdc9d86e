"""The functions: one for the API, one per event handler in app.py, each with its trigger, a role of its own
and a place for every failure.

Failure destinations, by path: an EventBridge rule that cannot invoke its function retries, then parks the
event on ScheduleDeadLetterQueue; an SNS delivery that fails goes to its subscription's dead-letter queue;
an asynchronous invocation (schedules, SNS) that fails after its retries, or waits too long, goes to
AsyncFailuresQueue (EventInvokeConfig); an SQS job received too often goes to its queue's dead-letter queue.
Every one of these queues raises alarms (infra/template_alarms.py); docs/RUNBOOK.md says how to replay them.

Roles: the actions each function's code calls (infra/access.py), on this stack's resources only, plus what
its kind needs (logs, X-Ray, consuming its queue, writing its failure destination).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice.app import ScheduledEventConfig, ScheduleExpression, SNSEventConfig, SQSEventConfig

from infra.schedule_expressions import is_valid, period_seconds
from infra.template_static import CODE_URI, GetAtt, Ref, Stack, Sub, logical_id

LOG_RETENTION_DAYS = 30
SQS_MAX_RECEIVES = 5  # deliveries of one job before it is parked on the dead-letter queue
QUEUE_RETENTION_SECONDS = 86400  # a nightly job not run within a day is superseded by the next night's
DEAD_LETTER_RETENTION_SECONDS = 1209600  # SQS's maximum, 14 days: time to read, fix and replay
SQS_MAX_CONCURRENCY = 5  # per queue, unless the handler says: the table and the providers are shared
FREQUENT_SECONDS = 300  # a schedule at least this frequent is not retried: its next tick does the same work
SNS_RETRIES = 2
SNS_MAX_EVENT_AGE_SECONDS = 10800
ASYNC_FAILURES = "AsyncFailuresQueue"
SCHEDULE_DEAD_LETTERS = "ScheduleDeadLetterQueue"
QUEUE_CONSUMER_ACTIONS = (
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
)
TOPIC_PUBLISHERS = ("ses.amazonaws.com", "sms-voice.amazonaws.com")  # SES feedback, End User Messaging SMS


@dataclass(frozen=True)
class Sizing:
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None = None


# Per kind of function. API Gateway gives up on an integration after 29 s, so the API stays below it;
# a scheduled job runs one instance at a time so that a slow run never overlaps the next one.
SIZING: dict[str, Sizing] = {
    "api": Sizing(memory_mb=1024, timeout_seconds=20),
    "schedule": Sizing(memory_mb=512, timeout_seconds=300, reserved_concurrency=1),
    "sqs": Sizing(memory_mb=512, timeout_seconds=120),
    "sns": Sizing(memory_mb=256, timeout_seconds=30),
}
DEFAULT_SIZING = Sizing(memory_mb=512, timeout_seconds=30)  # Globals; every function states its own


def statement(actions: Any, resources: Any, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": list(actions), "Resource": list(resources)}


def env_name(name: str, suffix: str) -> str:
    """`location-jobs`, `QUEUE_URL` -> `CHAIRSIDE_LOCATION_JOBS_QUEUE_URL`."""
    return "CHAIRSIDE_" + re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() + "_" + suffix


def schedule_string(expression: str | ScheduleExpression) -> str:
    text = expression if isinstance(expression, str) else expression.to_string()
    if not is_valid(text):
        raise ValueError(f"{text!r} is not an EventBridge rate(...) or cron(...) expression")
    return text


def dead_letter_queue(stack: Stack, logical: str, name: str, purpose: str,
                      sender: tuple[str, list[Any]] | None = None) -> str:
    """A queue that keeps failures 14 days; `sender`: the AWS service (and source ARNs) that writes to it."""
    stack.add(logical, {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": Sub(f"${{AWS::StackName}}-{name}"),
        "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
        "SqsManagedSseEnabled": True,
    }})
    stack.dead_letters[logical] = purpose
    if sender:
        service, sources = sender
        stack.add(f"{logical}Policy", {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [Ref(logical)],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": service}, "Action": "sqs:SendMessage",
                "Resource": GetAtt(f"{logical}.Arn"), "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
            }]},
        }})
    return logical


def _queue(stack: Stack, queue: str) -> str:
    """The queue a Chalice SQS handler reads, with its dead-letter queue; returns the queue's logical id."""
    logical = logical_id(queue) + "Queue"
    if logical in stack:
        return logical
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", queue):
        raise ValueError(f"SQS queue name {queue!r}: use letters, digits, - and _ (at most 60)")
    dead_letter = dead_letter_queue(stack, logical_id(queue) + "DeadLetterQueue", f"{queue}-dlq",
                                    f"messages of {queue} that failed {SQS_MAX_RECEIVES} times")
    stack.add(logical, {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": Sub(f"${{AWS::StackName}}-{queue}"),
        # AWS's advice for Lambda consumers: six times the function timeout, so retries never overlap.
        "VisibilityTimeout": min(6 * SIZING["sqs"].timeout_seconds, 43200),
        "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
        "SqsManagedSseEnabled": True,
        "RedrivePolicy": {"deadLetterTargetArn": GetAtt(f"{dead_letter}.Arn"), "maxReceiveCount": SQS_MAX_RECEIVES},
    }})
    stack.work_queues.append(logical)
    stack.environment[env_name(queue, "QUEUE_URL")] = Ref(logical)
    return logical


def _topic(stack: Stack, topic: str) -> str:
    logical = logical_id(topic) + "Topic"
    if logical in stack:
        return logical
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", topic):
        raise ValueError(f"SNS topic {topic!r}: name one this stack creates (letters, digits, - and _)")
    stack.add(logical, {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": Sub(f"${{AWS::StackName}}-{topic}")}})
    # Our topics are fed by AWS services (SES feedback, two-way SMS) acting for this account only.
    publish = {
        "Effect": "Allow", "Principal": {"Service": list(TOPIC_PUBLISHERS)}, "Action": "sns:Publish",
        "Resource": Ref(logical), "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}},
    }
    stack.add(f"{logical}Policy", {"Type": "AWS::SNS::TopicPolicy", "Properties": {
        "Topics": [Ref(logical)], "PolicyDocument": {"Version": "2012-10-17", "Statement": [publish]},
    }})
    return logical  # no function publishes to it: its ARN is in no function's environment


def _async_config(stack: Stack, max_age: int, retries: int) -> dict[str, Any]:
    if ASYNC_FAILURES not in stack:
        dead_letter_queue(stack, ASYNC_FAILURES, "async-failures",
                          "scheduled and SNS invocations that failed after their retries or waited too long")
    return {"MaximumEventAgeInSeconds": max_age, "MaximumRetryAttempts": retries,
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": GetAtt(f"{ASYNC_FAILURES}.Arn")}}}


@dataclass
class Trigger:
    kind: str
    event: dict[str, Any]
    statements: list[dict[str, Any]]
    invoke_config: dict[str, Any] | None = None


def trigger(stack: Stack, function: str, source: Any) -> Trigger:
    """One Chalice event source: its SAM event, what the role needs for it, and its failure destination."""
    if isinstance(source, ScheduledEventConfig):
        expression = schedule_string(source.schedule_expression)
        # An overlapping tick (reserved concurrency 1) waits at most one period, then goes to the failures.
        max_age = min(max(period_seconds(expression), 60), 3600)
        stack.schedule_rules.append(GetAtt(f"{function}Schedule.Arn"))  # SAM names the rule <function><event>
        event = {"Type": "Schedule", "Properties": {
            "Schedule": expression,
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": max_age},
            "DeadLetterConfig": {"Arn": GetAtt(f"{SCHEDULE_DEAD_LETTERS}.Arn")},
        }}
        retries = 0 if period_seconds(expression) <= FREQUENT_SECONDS else 2
        return Trigger("schedule", event, [], _async_config(stack, max_age, retries))
    if isinstance(source, SQSEventConfig):
        if not source.queue:
            raise ValueError(f"{source.name}: use on_sqs_message(queue=...) so the template owns the queue")
        queue = _queue(stack, source.queue)
        properties: dict[str, Any] = {"Queue": GetAtt(f"{queue}.Arn"), "BatchSize": source.batch_size}
        if source.maximum_batching_window_in_seconds:
            properties["MaximumBatchingWindowInSeconds"] = source.maximum_batching_window_in_seconds
        properties["ScalingConfig"] = {"MaximumConcurrency": source.maximum_concurrency or SQS_MAX_CONCURRENCY}
        properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        consume = statement(QUEUE_CONSUMER_ACTIONS, [GetAtt(f"{queue}.Arn")])
        return Trigger("sqs", {"Type": "SQS", "Properties": properties}, [consume])
    if isinstance(source, SNSEventConfig):
        topic = _topic(stack, source.topic)
        dead_letter = dead_letter_queue(stack, f"{topic}SubscriptionDeadLetterQueue", f"{source.topic}-undelivered",
                                        f"{source.topic} notifications SNS could not deliver",
                                        ("sns.amazonaws.com", [Ref(topic)]))
        event = {"Type": "SNS", "Properties": {
            "Topic": Ref(topic), "RedrivePolicy": {"deadLetterTargetArn": GetAtt(f"{dead_letter}.Arn")},
        }}
        return Trigger("sns", event, [], _async_config(stack, SNS_MAX_EVENT_AGE_SECONDS, SNS_RETRIES))
    kind = type(source).__name__
    raise ValueError(f"event source {source.name!r} ({kind}) is not supported by the template generator")


def schedule_dead_letters(stack: Stack) -> None:
    """EventBridge's dead-letter queue, written only by this stack's schedule rules."""
    if stack.schedule_rules:
        dead_letter_queue(stack, SCHEDULE_DEAD_LETTERS, "schedule-undelivered",
                          "scheduled events EventBridge could not deliver to their function",
                          ("events.amazonaws.com", list(stack.schedule_rules)))


def _code_statements(stack: Stack, function: str, actions: frozenset[str]) -> list[dict[str, Any]]:
    """The statements for what the function's code calls, each on the narrowest resource AWS allows."""
    if "dynamodb:Scan" in actions:
        raise ValueError(f"{function}: its code can Scan the table; request paths and jobs use keys only")
    items = sorted(action for action in actions if action.startswith("dynamodb:") and action != "dynamodb:Query")
    found = [statement(items, [GetAtt("Table.Arn")])] if items else []
    if "dynamodb:Query" in actions:
        found.append(statement(["dynamodb:Query"], [GetAtt("Table.Arn"), Sub("${Table.Arn}/index/*")]))
    if "sqs:SendMessage" in actions:
        if not stack.work_queues:
            raise ValueError(f"{function} sends to a queue, but no event handler in app.py reads one")
        found.append(statement(["sqs:SendMessage"], [GetAtt(f"{queue}.Arn") for queue in stack.work_queues]))
    if "ses:SendEmail" in actions:
        allowed = [Sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*")]
        if "EmailConfigurationSet" in stack:  # sends name it, so that bounces reach our feedback topic
            allowed.append(Sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                               "configuration-set/${EmailConfigurationSet}"))
        found.append(statement(["ses:SendEmail"], allowed))
    if "sns:Publish" in actions:
        # An SMS to a phone number has no ARN, so IAM authorises it only on `*`; denying every SNS ARN
        # leaves the role able to text phone numbers and unable to publish to any topic or endpoint.
        found.append(statement(["sns:Publish"], ["*"]))
        found.append(statement(["sns:Publish"], [Sub("arn:${AWS::Partition}:sns:*:*:*")], effect="Deny"))
    if "secretsmanager:GetSecretValue" in actions:
        found.append(statement(["secretsmanager:GetSecretValue"], [Ref("CursorSecret")]))
        stack.function_environment.setdefault(function, {})["CHAIRSIDE_CURSOR_SECRET_ARN"] = Ref("CursorSecret")
    known = {"sqs:SendMessage", "ses:SendEmail", "sns:Publish", "secretsmanager:GetSecretValue"}
    unknown = {action for action in actions if not action.startswith("dynamodb:")} - known
    if unknown:
        raise ValueError(f"{function}: no resource rule for {sorted(unknown)} in infra/template_functions.py")
    return found


def add_function(stack: Stack, name: str, handler: str, kind: str, events: dict[str, Any],
                 trigger_statements: list[dict[str, Any]], invoke_config: dict[str, Any] | None,
                 actions: Callable[[str], frozenset[str]]) -> str:
    """A function with a log group and a role of its own; returns its logical id."""
    logical = f"{logical_id(name)}Function"
    sizing = SIZING[kind]
    log_group = f"{logical}LogGroup"
    stack.add(log_group, {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": LOG_RETENTION_DAYS}})
    policy = [
        statement(["logs:CreateLogStream", "logs:PutLogEvents"], [GetAtt(f"{log_group}.Arn")]),
        statement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),  # X-Ray takes only `*`
        *_code_statements(stack, logical, actions(name)),
        *trigger_statements,
    ]
    if invoke_config:  # Lambda writes the failure destination with the function's own role
        policy.append(statement(["sqs:SendMessage"], [GetAtt(f"{ASYNC_FAILURES}.Arn")]))
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    stack.add(f"{logical}Role", {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
        "Policies": [{"PolicyName": "least-privilege", "PolicyDocument": {"Version": "2012-10-17",
                                                                           "Statement": policy}}],
    }})
    properties: dict[str, Any] = {
        "Handler": handler, "CodeUri": CODE_URI, "MemorySize": sizing.memory_mb, "Timeout": sizing.timeout_seconds,
        "Role": GetAtt(f"{logical}Role.Arn"), "LoggingConfig": {"LogGroup": Ref(log_group)},
    }
    if logical in stack.function_environment:
        properties["Environment"] = {"Variables": stack.function_environment[logical]}
    if sizing.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = sizing.reserved_concurrency
    if invoke_config:
        properties["EventInvokeConfig"] = invoke_config
    if events:
        properties["Events"] = events
    stack.add(logical, {"Type": "AWS::Serverless::Function", "Properties": properties})
    stack.functions.append(logical)
    return logical


def email_feedback(stack: Stack) -> None:
    """SES publishes bounces and complaints of every email sent with this configuration set to the topic the
    email-feedback handler reads; the notifier names the set (CHAIRSIDE_SES_CONFIGURATION_SET)."""
    stack.add("EmailConfigurationSet", {"Type": "AWS::SES::ConfigurationSet", "Properties": {
        "Name": Sub("${AWS::StackName}-email")}})
    stack.add("EmailFeedbackDestination", {"Type": "AWS::SES::ConfigurationSetEventDestination", "Properties": {
        "ConfigurationSetName": Ref("EmailConfigurationSet"),
        "EventDestination": {"Name": "bounces-and-complaints", "Enabled": True,
                             "MatchingEventTypes": ["bounce", "complaint"],
                             "SnsDestination": {"TopicARN": Ref("EmailFeedbackTopic")}}}})
    stack.environment["CHAIRSIDE_SES_CONFIGURATION_SET"] = Ref("EmailConfigurationSet")
