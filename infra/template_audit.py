"""The audit archive in template.yaml: the API function's audit lines, kept 6 years where nobody can alter them.

The API function writes one JSON line per access of patient data (shared/audit_log.py) to its log group.
A subscription filter on that log group picks exactly those lines (`{ $.audit = 1 }`) and hands them to a
Firehose stream, which unpacks CloudWatch Logs' envelopes and files the lines, gzipped, by day in an S3
bucket under Object Lock in compliance mode for 6 years: no one, the account's root included, can delete or
overwrite them before then (tamper-evident by construction), and the bucket is versioned, encrypted and
private. Query per patient or per actor with Athena over `audit/yyyy/mm/dd/` (docs/DATA-MODEL.md, "Audit").
"""

from __future__ import annotations

from typing import Any

from infra.template_static import GetAtt, Ref, Sub

RETENTION_YEARS = 6
FILTER = "{ $.audit = 1 }"  # shared.audit_log.AUDIT_VERSION


def _role(service: str, actions: list[str], resources: list[Any]) -> dict[str, Any]:
    trust = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
        "Policies": [{"PolicyName": "audit-archive", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": resources}]}}],
    }}


def audit_archive(api_log_group: str) -> dict[str, dict[str, Any]]:
    """The resources that archive the audit lines of the log group `api_log_group` (a logical id)."""
    bucket = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "ObjectLockEnabled": True,
            "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {
                "DefaultRetention": {"Mode": "COMPLIANCE", "Years": RETENTION_YEARS}}},
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LifecycleConfiguration": {"Rules": [{"Id": "cold-after-90-days", "Status": "Enabled",
                                                  "Transitions": [{"StorageClass": "GLACIER_IR",
                                                                   "TransitionInDays": 90}]}]},
        },
    }
    delivery_role = _role("firehose.amazonaws.com",
                          ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject"],
                          [GetAtt("AuditBucket.Arn"), Sub("${AuditBucket.Arn}/*")])
    stream = {"Type": "AWS::KinesisFirehose::DeliveryStream", "Properties": {
        "DeliveryStreamType": "DirectPut",
        "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"},
        "ExtendedS3DestinationConfiguration": {
            "BucketARN": GetAtt("AuditBucket.Arn"),
            "RoleARN": GetAtt("AuditDeliveryRole.Arn"),
            "Prefix": "audit/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/",
            "ErrorOutputPrefix": "audit-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
            "BufferingHints": {"IntervalInSeconds": 300, "SizeInMBs": 5},
            "CompressionFormat": "GZIP",
            "ProcessingConfiguration": {"Enabled": True, "Processors": [
                {"Type": "Decompression", "Parameters": [
                    {"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]},
                {"Type": "CloudWatchLogProcessing", "Parameters": [
                    {"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
            ]},
        },
    }}
    subscription_role = _role("logs.amazonaws.com", ["firehose:PutRecord", "firehose:PutRecordBatch"],
                              [GetAtt("AuditStream.Arn")])
    subscription = {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {
        "LogGroupName": Ref(api_log_group),
        "FilterPattern": FILTER,
        "DestinationArn": GetAtt("AuditStream.Arn"),
        "RoleArn": GetAtt("AuditSubscriptionRole.Arn"),
    }}
    return {"AuditBucket": bucket, "AuditDeliveryRole": delivery_role, "AuditStream": stream,
            "AuditSubscriptionRole": subscription_role, "AuditSubscription": subscription}
