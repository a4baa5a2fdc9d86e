"""The console's static site in template.yaml: a private S3 bucket behind CloudFront, and the headers it sends.

- The bucket is private (every public-access block on, objects owned by the bucket owner, no ACLs),
  encrypted (SSE-S3: CloudFront's origin access control reads SSE-S3 objects without a key policy) and
  versioned; only this distribution may read it (origin access control, SigV4, the bucket policy names
  the distribution), and nothing may reach it without TLS.
- CloudFront serves HTTPS only (HTTP is redirected), with one viewer-request function for the routes:
  `/` -> `/console/`, `/console/s` -> the patient's signing page (the short form that fits an SMS), and
  any other path without a file suffix -> the console's index.html (the SPA fallback; its screens are hash
  routes). A missing file stays a 403/404 instead of an HTML page served as script.
- Security headers, the same set `chairside run` sends for `/console/` (infra/local_console.py): a CSP
  allowing only the console's own scripts and styles, the API and the Cognito Hosted UI's token endpoint;
  HSTS, nosniff, no framing, no referrer (a signing link's token is in the fragment, never sent, but an
  opened page should not tell another site where it came from either).

The console reads `config.json` beside index.html for the API's URL and the Cognito app client:
infra/console_deploy.py writes it from the stack's outputs when it uploads the files (docs/DEPLOY.md).
"""

from __future__ import annotations

from typing import Any

from infra.template_static import GetAtt, Ref, Sub

CONSOLE_PATH = "/console"  # Vite's base (console/vite.config.ts); the bucket holds the files under console/
SIGN_SHORT_PATH = "s"  # /console/s serves sign.html: the short signing link an SMS can carry
HOSTED_UI_PREFIX = "chairside-${Stage}-${AWS::AccountId}"  # Cognito domain prefix: unique per account and stage
HOSTED_UI_DOMAIN = HOSTED_UI_PREFIX + ".auth.${AWS::Region}.amazoncognito.com"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed cache policy (honours Cache-Control)
HSTS_SECONDS = 63_072_000  # two years

# The API's id is not referenced here: the functions' environment names the distribution (signing links,
# CORS), so the distribution naming the API would be a cycle. Any API of this region and account suffices.
AWS_CONNECT_SOURCES = "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix} https://" + HOSTED_UI_DOMAIN


def content_security_policy(connect_sources: str) -> str:
    """The console's CSP. Preact sets styles through the CSSOM and Vite bundles every script and stylesheet,
    so nothing inline is needed; the signature pad's preview is a data: image."""
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        f"connect-src 'self' {connect_sources}".rstrip(), "font-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ))


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


def security_headers(connect_sources: str = "") -> dict[str, str]:
    """The headers of every console response, by name (the local stack sends exactly these)."""
    return {
        "Content-Security-Policy": content_security_policy(connect_sources),
        "Strict-Transport-Security": f"max-age={HSTS_SECONDS}; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }


# CloudFront Functions run cloudfront-js-2.0 (ES 5.1 plus a few later features): plain `var`, no arrows.
ROUTES_FUNCTION = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/" || uri === "BASE") {
    return { statusCode: 301, statusDescription: "Moved Permanently",
             headers: { location: { value: "BASE/" } } };
  }
  if (uri === "BASE/SHORT") {
    request.uri = "BASE/sign.html";
  } else if (uri.indexOf("BASE/") === 0 && uri.slice(uri.lastIndexOf("/") + 1).indexOf(".") === -1) {
    request.uri = "BASE/index.html";
  }
  return request;
}
""".replace("BASE", CONSOLE_PATH).replace("SHORT", SIGN_SHORT_PATH)


def _bucket() -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LifecycleConfiguration": {"Rules": [{"Id": "old-builds", "Status": "Enabled",
                                              "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
    }}


def _bucket_policy() -> dict[str, Any]:
    distribution = "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}"
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": Ref("ConsoleBucket"), "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OnlyThisDistributionReads", "Effect": "Allow",
             "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
             "Resource": Sub("${ConsoleBucket.Arn}/*"),
             "Condition": {"StringEquals": {"AWS:SourceArn": Sub(distribution)}}},
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [GetAtt("ConsoleBucket.Arn"), Sub("${ConsoleBucket.Arn}/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }}}


def _headers_policy() -> dict[str, Any]:
    headers = security_headers(AWS_CONNECT_SOURCES)
    return {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": {
        "Name": Sub("${AWS::StackName}-console-headers"),
        "Comment": "Chairside console: CSP, HSTS, nosniff, no framing, no referrer",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"ContentSecurityPolicy": Sub(headers["Content-Security-Policy"]),
                                      "Override": True},
            "StrictTransportSecurity": {"AccessControlMaxAgeSec": HSTS_SECONDS, "IncludeSubdomains": True,
                                        "Override": True},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"FrameOption": headers["X-Frame-Options"], "Override": True},
            "ReferrerPolicy": {"ReferrerPolicy": headers["Referrer-Policy"], "Override": True},
        },
        "CustomHeadersConfig": {"Items": [
            {"Header": "Permissions-Policy", "Value": headers["Permissions-Policy"], "Override": True}]},
    }}}


def _distribution() -> dict[str, Any]:
    origin = "console-bucket"
    return {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True,
        "Comment": Sub("${AWS::StackName} console"),
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": "PriceClass_100",
        "Origins": [{"Id": origin, "DomainName": GetAtt("ConsoleBucket.RegionalDomainName"),
                     "OriginAccessControlId": GetAtt("ConsoleOriginAccessControl.Id"),
                     "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        "DefaultCacheBehavior": {
            "TargetOriginId": origin,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "Compress": True,
            "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": Ref("ConsoleSecurityHeaders"),
            "FunctionAssociations": [{"EventType": "viewer-request",
                                      "FunctionARN": GetAtt("ConsoleRoutes.FunctionARN")}],
        },
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
    }}}


def console_site() -> dict[str, dict[str, Any]]:
    """The console's resources by logical id, and the Hosted UI domain its sign-in goes through."""
    return {
        "ConsoleBucket": _bucket(),
        "ConsoleBucketPolicy": _bucket_policy(),
        "ConsoleOriginAccessControl": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {
            "OriginAccessControlConfig": {
                "Name": Sub("${AWS::StackName}-console"), "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
        "ConsoleRoutes": {"Type": "AWS::CloudFront::Function", "Properties": {
            "Name": Sub("${AWS::StackName}-console-routes"), "AutoPublish": True,
            "FunctionConfig": {"Comment": "console routes: SPA fallback, short signing links",
                               "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": ROUTES_FUNCTION}},
        "ConsoleSecurityHeaders": _headers_policy(),
        "ConsoleDistribution": _distribution(),
        "UserPoolDomain": {"Type": "AWS::Cognito::UserPoolDomain", "Properties": {
            "Domain": Sub(HOSTED_UI_PREFIX), "UserPoolId": Ref("UserPool")}},
    }


def console_url() -> Sub:
    """Where the console (and the patients' signing links) live: CHAIRSIDE_CONSOLE_URL."""
    return Sub("https://${ConsoleDistribution.DomainName}" + CONSOLE_PATH)


def allowed_origin() -> dict[str, Any]:
    """The origin CORS allows: the AllowedOrigin parameter, or the console's own when it is left empty."""
    return {"Fn::If": ["HasAllowedOrigin", Ref("AllowedOrigin"), Sub("https://${ConsoleDistribution.DomainName}")]}


def outputs() -> dict[str, Any]:
    return {
        "ConsoleUrl": {"Description": "The coordinator console (and where signing links point)",
                       "Value": Sub("https://${ConsoleDistribution.DomainName}" + CONSOLE_PATH + "/")},
        "ConsoleBucketName": {"Description": "Bucket of the console's files: infra/console_deploy.py uploads them",
                              "Value": Ref("ConsoleBucket")},
        "ConsoleDistributionId": {"Description": "CloudFront distribution of the console (invalidated on upload)",
                                  "Value": Ref("ConsoleDistribution")},
        "HostedUiDomain": {"Description": "Cognito Hosted UI domain the console signs in through",
                           "Value": Sub(HOSTED_UI_DOMAIN)},
    }
