"""One structured logger for the service. Never pass patient data (names, phones, emails, notes) to it."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger

from shared.config import settings

# The AWS SDK logs whole request bodies (patient data) at DEBUG: keep it quiet whatever the root level.
for _noisy in ("botocore", "boto3", "urllib3", "pynamodb", "s3transfer"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

logger = Logger(service=settings().service_name)
