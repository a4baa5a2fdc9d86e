"""The audit archive the template builds: the API's audit lines kept 6 years under Object Lock."""

from __future__ import annotations

from infra import template
from infra.template_static import GetAtt, Ref
from shared import audit_log


def test_audit_lines_of_the_api_log_group_reach_a_locked_bucket() -> None:
    resources = template.build()["Resources"]
    subscription = resources["AuditSubscription"]["Properties"]
    assert subscription["LogGroupName"] == Ref("ApiFunctionLogGroup")
    assert subscription["FilterPattern"] == f"{{ $.audit = {audit_log.AUDIT_VERSION} }}"
    assert subscription["DestinationArn"] == GetAtt("AuditStream.Arn")
    bucket = resources["AuditBucket"]
    lock = bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert lock == {"Mode": "COMPLIANCE", "Years": 6} and bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    destination = resources["AuditStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert destination["BucketARN"] == GetAtt("AuditBucket.Arn")
    event = audit_log.event("org_a", "u-1", "patient.read", ["pat_1"], "ok", "r-1")
    assert event["audit"] == audit_log.AUDIT_VERSION  # what the filter pattern matches
