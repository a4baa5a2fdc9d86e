"""The console's static site in template.yaml: a private, encrypted bucket only the distribution reads, HTTPS,
the routes function (run in Node, as CloudFront runs it), the security headers the local stack also sends,
the Hosted UI client, and the config.json the upload writes from the stack's outputs (S3 in moto)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import console_deploy
from infra.deploy_check import load as parse
from infra.template_console import AWS_CONNECT_SOURCES, ROUTES_FUNCTION, security_headers
from tests.helpers import REPO


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return parse((REPO / "template.yaml").read_text(encoding="utf-8"))["Resources"]


def test_the_bucket_is_private_encrypted_and_read_only_by_the_distribution(resources) -> None:
    bucket = resources["ConsoleBucket"]
    props = bucket["Properties"]
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True} and len(
        props["PublicAccessBlockConfiguration"]) == 4
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in props  # no public website endpoint
    assert bucket["DeletionPolicy"] == "Retain"

    statements = resources["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert "${ConsoleDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_distribution_serves_https_only_through_origin_access_control(resources) -> None:
    config = resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy identity
    control = resources["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (control["SigningBehavior"], control["SigningProtocol"]) == ("always", "sigv4")
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleSecurityHeaders"}
    (function,) = behaviour["FunctionAssociations"]
    assert function == {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["ConsoleRoutes", "FunctionARN"]}}


def test_cloudfront_sends_the_headers_the_local_stack_sends(resources) -> None:
    config = resources["ConsoleSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    wanted = security_headers(AWS_CONNECT_SOURCES)
    assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == {"Fn::Sub": wanted["Content-Security-Policy"]}
    assert "frame-ancestors 'none'" in wanted["Content-Security-Policy"]
    assert "script-src 'self';" in wanted["Content-Security-Policy"]
    assert security["FrameOptions"]["FrameOption"] == wanted["X-Frame-Options"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == wanted["Referrer-Policy"] == "no-referrer"
    assert f"max-age={security['StrictTransportSecurity']['AccessControlMaxAgeSec']};" in \
        wanted["Strict-Transport-Security"]
    assert security["ContentTypeOptions"] == {"Override": True}
    (custom,) = config["CustomHeadersConfig"]["Items"]
    assert custom["Value"] == wanted["Permissions-Policy"]
    # The deployed CSP lets the console reach the API and Cognito's token endpoint; locally, only itself.
    policy = wanted["Content-Security-Policy"]
    assert "execute-api" in policy and "amazoncognito.com" in policy
    assert "connect-src 'self';" in security_headers()["Content-Security-Policy"]


@pytest.mark.parametrize(("uri", "served"), [
    ("/console/", "/console/index.html"),
    ("/console/index.html", "/console/index.html"),
    ("/console/assets/console-abc123.js", "/console/assets/console-abc123.js"),
    ("/console/s", "/console/sign.html"),
    ("/console/sign.html", "/console/sign.html"),
    ("/console/patients", "/console/index.html"),
    ("/console/config.json", "/console/config.json"),
    ("/", "301 /console/"),
    ("/console", "301 /console/"),
])
def test_the_routes_function(uri: str, served: str) -> None:
    script = ROUTES_FUNCTION + (
        f"var out = handler({{request: {{uri: {json.dumps(uri)}, headers: {{}}}}}});"
        "console.log(out.statusCode ? out.statusCode + ' ' + out.headers.location.value : out.uri);")
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == served


def test_the_app_client_signs_in_through_the_hosted_ui_with_the_code_flow(resources) -> None:
    client = resources["UserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["GenerateSecret"] is False  # a browser keeps no secret: PKCE instead
    console = {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/console/"}
    assert client["CallbackURLs"] == client["LogoutURLs"] == [console]
    assert resources["UserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}


OUTPUTS = {"ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/dev", "UserPoolClientId": "client123",
           "HostedUiDomain": "chairside-dev-111122223333.auth.us-east-1.amazoncognito.com",
           "ConsoleUrl": "https://d111111abcdef8.cloudfront.net/console/", "ConsoleBucketName": "console-files",
           "ConsoleDistributionId": "E2EXAMPLE"}


class _Invalidations:
    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []

    def create_invalidation(self, **kwargs: Any) -> None:
        self.made.append(kwargs)


def test_the_upload_writes_config_json_from_the_stack_and_caches_by_kind(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "console-1a2b.js").write_text("console.log(1)")
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / ".inputs").write_text("build stamp")
    invalidations = _Invalidations()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="console-files")
        written = console_deploy.publish(tmp_path, OUTPUTS, s3, invalidations)
        assert written == ["console/config.json", "console/assets/console-1a2b.js", "console/index.html"]
        config = json.loads(s3.get_object(Bucket="console-files", Key="console/config.json")["Body"].read())
        asset = s3.head_object(Bucket="console-files", Key="console/assets/console-1a2b.js")
        page = s3.head_object(Bucket="console-files", Key="console/index.html")
    assert config == {"mode": "cognito", "api_base": OUTPUTS["ApiUrl"], "cognito": {
        "domain": OUTPUTS["HostedUiDomain"], "client_id": "client123", "redirect_uri": OUTPUTS["ConsoleUrl"],
        "scopes": "openid email profile"}}
    assert asset["CacheControl"].endswith("immutable") and asset["ContentType"].startswith("text/javascript")
    assert page["CacheControl"] == "no-cache" and page["ContentType"] == "text/html; charset=utf-8"
    (made,) = invalidations.made
    assert made["DistributionId"] == "E2EXAMPLE" and made["InvalidationBatch"]["Paths"]["Items"] == ["/console/*"]


def test_the_upload_refuses_a_stack_without_the_console_outputs() -> None:
    with pytest.raises(ValueError, match="HostedUiDomain"):
        console_deploy.console_config({**OUTPUTS, "HostedUiDomain": ""})
