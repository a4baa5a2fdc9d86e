"""Uploads the built console to the stack's bucket with the config.json that points it at the stack.

`python -m infra.console_deploy --stack NAME` (after `sam deploy`): builds the console if needed, reads the
stack's outputs (the API's URL, the app client, the Hosted UI domain, the bucket and the distribution),
writes them as `console/config.json` beside the files, uploads everything under `console/` with its content
type and caching (hashed assets for a year; the pages and config.json revalidated on every load), and
invalidates the distribution. Nothing of the configuration is baked into the bundle: the same build runs
against any stack, and locally `chairside run` serves its own config.json (infra/local_console.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from infra.console_build import content_type, ensure_built
from infra.template_console import CONSOLE_PATH

PREFIX = CONSOLE_PATH.strip("/") + "/"  # the bucket's folder: CloudFront serves it at /console/
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's assets/ carry a content hash in their names
REVALIDATE = "no-cache"  # pages and config.json: a new deploy shows at the next load
SCOPES = "openid email profile"
WANTED_OUTPUTS = ("ApiUrl", "UserPoolClientId", "HostedUiDomain", "ConsoleUrl", "ConsoleBucketName",
                  "ConsoleDistributionId")


def console_config(outputs: dict[str, str]) -> dict[str, Any]:
    """config.json for the deployed console: Cognito's Hosted UI sign-in and the stage's API."""
    missing = [name for name in WANTED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise ValueError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    return {"mode": "cognito", "api_base": outputs["ApiUrl"].rstrip("/"),
            "cognito": {"domain": outputs["HostedUiDomain"], "client_id": outputs["UserPoolClientId"],
                        "redirect_uri": outputs["ConsoleUrl"], "scopes": SCOPES}}


def uploads(dist: Path) -> list[tuple[str, Path, str, str]]:
    """(key, file, content type, cache control) for every built file, in a stable order; the pages last, so
    a browser never loads a page whose assets are not there yet."""
    files = sorted(path for path in dist.rglob("*") if path.is_file() and not path.name.startswith("."))
    rows = []
    for path in files:
        relative = path.relative_to(dist).as_posix()
        cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
        rows.append((PREFIX + relative, path, content_type(path), cache))
    return sorted(rows, key=lambda row: (row[0].endswith(".html"), row[0]))


def publish(dist: Path, outputs: dict[str, str], s3: Any, cloudfront: Any) -> list[str]:
    """Upload `dist` and config.json to the console bucket, then invalidate the distribution; the keys written."""
    config = console_config(outputs)
    bucket = outputs["ConsoleBucketName"]
    written = []
    s3.put_object(Bucket=bucket, Key=PREFIX + "config.json", Body=json.dumps(config, indent=1).encode(),
                  ContentType="application/json; charset=utf-8", CacheControl=REVALIDATE)
    written.append(PREFIX + "config.json")
    for key, path, kind, cache in uploads(dist):
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind, CacheControl=cache)
        written.append(key)
    cloudfront.create_invalidation(DistributionId=outputs["ConsoleDistributionId"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": [CONSOLE_PATH + "/*"]}, "CallerReference": f"console-{time.time_ns()}"})
    return written


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the CloudFormation stack `sam deploy` made")
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    dist = ensure_built()
    outputs = stack_outputs(boto3.client("cloudformation"), args.stack)
    written = publish(dist, outputs, boto3.client("s3"), boto3.client("cloudfront"))
    print(f"console: {len(written)} files in s3://{outputs['ConsoleBucketName']}/{PREFIX}; "
          f"open {outputs['ConsoleUrl']}")


if __name__ == "__main__":
    main()
