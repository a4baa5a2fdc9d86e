"""Alarms, and a topic they can reach someone through.

The topic is encrypted with a customer-managed key whose policy lets CloudWatch use it: CloudWatch cannot
publish to a topic under the AWS-managed `alias/aws/sns` key (FIELD-NOTES). The `AlarmEmail` parameter
subscribes an address. What each alarm means and what to do: docs/RUNBOOK.md (a test checks that every
alarm is there). Metrics our own code emits are alarmed on with the namespace and dimensions powertools
really writes (tests/unit/test_template.py runs the code and compares).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra.template_static import GetAtt, Ref, Stack, Sub

PERIOD_SECONDS = 300
DEAD_LETTER_AGE_ALARM_SECONDS = 10 * 86400  # four days before a 14-day dead-letter queue drops a message
WORK_QUEUE_AGE_ALARM_SECONDS = 3600  # a location job waiting an hour: the worker is failing or throttled
API_LATENCY_P99_MS = 5000
API_5XX_PER_PERIOD = 5
TRANSACTION_OPERATIONS = ("TransactWriteItems", "TransactGetItems")


def _alarm(description: str, metric: dict[str, Any], threshold: float,
           comparison: str = "GreaterThanOrEqualToThreshold", periods: int = 1) -> dict[str, Any]:
    """An alarm on `metric` (Namespace, MetricName, Dimensions, Statistic or ExtendedStatistic, or Metrics for
    metric math) that notifies AlarmsTopic when it fires and when it recovers."""
    properties: dict[str, Any] = {"AlarmDescription": description, **metric}
    if "Metrics" not in metric:
        properties["Period"] = PERIOD_SECONDS
    properties |= {
        "EvaluationPeriods": periods, "Threshold": threshold, "ComparisonOperator": comparison,
        "TreatMissingData": "notBreaching", "AlarmActions": [Ref("AlarmsTopic")], "OKActions": [Ref("AlarmsTopic")],
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def _metric(namespace: str, name: str, dimensions: dict[str, Any], statistic: str = "Sum") -> dict[str, Any]:
    stat_key = "ExtendedStatistic" if statistic.startswith("p") else "Statistic"
    return {"Namespace": namespace, "MetricName": name,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()], stat_key: statistic}


def _sum_of(label: str, namespace: str, name: str, dimension_sets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Metric math: the sum of one metric over several dimension sets (DynamoDB's are per operation)."""
    metrics = [{"Id": "total", "Expression": "SUM(METRICS())", "Label": label, "ReturnData": True}]
    for index, dimensions in enumerate(dimension_sets):
        metric = {"Namespace": namespace, "MetricName": name,
                  "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()]}
        metrics.append({"Id": f"m{index}", "MetricStat": {"Metric": metric, "Period": PERIOD_SECONDS, "Stat": "Sum"},
                        "ReturnData": False})
    return {"Metrics": metrics}


def alarms_topic(stack: Stack) -> None:
    root = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    this_account = {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}
    stack.add("AlarmsKey", {"Type": "AWS::KMS::Key", "Properties": {
        "Description": Sub("${AWS::StackName}: encrypts the alarms topic; CloudWatch may use it"),
        "EnableKeyRotation": True,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchPublishesAlarms", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*", "Condition": this_account},
        ]},
    }})
    stack.add("AlarmsTopic", {"Type": "AWS::SNS::Topic", "Properties": {
        "TopicName": Sub("${AWS::StackName}-alarms"), "KmsMasterKeyId": Ref("AlarmsKey")}})
    stack.add("AlarmsTopicPolicy", {"Type": "AWS::SNS::TopicPolicy", "Properties": {
        "Topics": [Ref("AlarmsTopic")],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": Ref("AlarmsTopic"), "Condition": {"ArnLike": {"aws:SourceArn": Sub(
                "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")}},
        }]},
    }})
    stack.add("AlarmsEmailSubscription", {"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail",
                                          "Properties": {"TopicArn": Ref("AlarmsTopic"), "Protocol": "email",
                                                         "Endpoint": Ref("AlarmEmail")}})


def add_alarms(stack: Stack, dynamodb_actions: Iterable[str], emitted: dict[str, dict[str, Any]]) -> None:
    """Every function's errors and throttles, the API's 5XX and p99 latency, the table's throttled requests
    and system errors, each dead-letter queue's depth and age, each work queue's age, and the metrics of
    `emitted` (name -> {"Namespace", "Dimensions"} as the code writes them) that mean a failure."""
    alarms_topic(stack)
    for function in list(stack.functions):
        dimensions = {"FunctionName": Ref(function)}
        stack.add(f"{function}ErrorsAlarm", _alarm(
            f"{function} raised errors (unhandled exceptions, timeouts)",
            _metric("AWS/Lambda", "Errors", dimensions), 1))
        stack.add(f"{function}ThrottlesAlarm", _alarm(
            f"{function} was throttled (reserved or account concurrency reached)",
            _metric("AWS/Lambda", "Throttles", dimensions), 1))
    api = {"ApiName": Sub("${AWS::StackName}-api"), "Stage": Ref("Stage")}
    stack.add("Api5xxAlarm", _alarm(f"The API answered 5XX at least {API_5XX_PER_PERIOD} times in 5 minutes",
                                    _metric("AWS/ApiGateway", "5XXError", api), API_5XX_PER_PERIOD))
    stack.add("ApiLatencyAlarm", _alarm(f"The API's p99 latency stayed above {API_LATENCY_P99_MS} ms for 15 minutes",
                                        _metric("AWS/ApiGateway", "Latency", api, "p99"), API_LATENCY_P99_MS,
                                        "GreaterThanThreshold", periods=3))
    operations = sorted(action.removeprefix("dynamodb:") for action in dynamodb_actions
                        if action.startswith("dynamodb:") and action != "dynamodb:ConditionCheckItem")
    per_operation = [{"TableName": Ref("Table"), "Operation": op} for op in [*operations, *TRANSACTION_OPERATIONS]]
    stack.add("TableThrottlesAlarm", _alarm("DynamoDB throttled requests to the table",
                                            _sum_of("throttled requests", "AWS/DynamoDB", "ThrottledRequests",
                                                    per_operation), 1))
    stack.add("TableSystemErrorsAlarm", _alarm("DynamoDB answered requests to the table with 500 errors",
                                               _sum_of("system errors", "AWS/DynamoDB", "SystemErrors",
                                                       per_operation), 1))
    for queue, holds in stack.dead_letters.items():
        dimensions = {"QueueName": GetAtt(f"{queue}.QueueName")}
        stack.add(f"{queue}DepthAlarm", _alarm(f"{queue} holds {holds}", _metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimensions, "Maximum"), 1))
        stack.add(f"{queue}AgeAlarm", _alarm(f"{queue}: a message is {DEAD_LETTER_AGE_ALARM_SECONDS // 86400} days "
                                             "old and will be dropped at 14", _metric(
            "AWS/SQS", "ApproximateAgeOfOldestMessage", dimensions, "Maximum"), DEAD_LETTER_AGE_ALARM_SECONDS))
    for queue in stack.work_queues:
        stack.add(f"{queue}AgeAlarm", _alarm(f"{queue}: a job has waited over an hour", _metric(
            "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": GetAtt(f"{queue}.QueueName")}, "Maximum"),
            WORK_QUEUE_AGE_ALARM_SECONDS))
    if "MessagesFailed" in emitted:
        failed = emitted["MessagesFailed"]
        stack.add("FailedSendsAlarm", _alarm(
            "Reminder or follow-up messages failed after their last retry (message_failed follow-ups name them)",
            _metric(failed["Namespace"], "MessagesFailed", failed["Dimensions"]), 1))
