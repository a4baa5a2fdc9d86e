"""Sending email through SES v2 and SMS through SNS, behind a small interface the sender can be given.

Clients are built on first use, never at import (moto, or `chairside run`'s moto server, must be in
place first). Endpoints come from the standard `AWS_ENDPOINT_URL_SESV2` / `AWS_ENDPOINT_URL_SNS`
variables, which boto3 honours and the local stack sets; in AWS they are unset. botocore retries
throttling and 5xx answers itself (standard mode, a few attempts with jittered backoff); what still fails
comes out as a `SendError` saying whether a later attempt may succeed.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from typing import Any, Protocol
from urllib.parse import urlparse

from shared.domain.contact import E164

DEFAULT_SENDER_EMAIL = "reminders@chairside.local"
CLIENT_ATTEMPTS = 3
RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "Throttled", "TooManyRequestsException", "TooManyRequests",
    "LimitExceededException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
    "InternalError", "InternalServerError", "InternalErrorException", "RequestTimeout", "RequestTimeoutException",
})


class SendError(Exception):
    """The provider did not take the message. `retryable`: throttling, 5xx or the network; else final."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


class Notifier(Protocol):
    def send_email(self, to: str, subject: str, text: str, html: str | None) -> str:
        """Send one email; returns the provider's message id or raises SendError."""

    def send_sms(self, phone: str, text: str) -> str:
        """Send one SMS to an E.164 number; returns the provider's message id or raises SendError."""


def classify(exc: Exception) -> SendError:
    """A botocore failure as a SendError (throttling, 5xx and connection errors are retryable)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "ClientError"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        retryable = code in RETRYABLE_CODES or status >= 500 or status == 429
        return SendError(code, str(error.get("Message", "")), retryable)
    if isinstance(exc, BotoCoreError):
        return SendError(type(exc).__name__, str(exc), True)
    raise exc


def _is_loopback(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AwsNotifier:
    """SES v2 for email (From: `CHAIRSIDE_SENDER_EMAIL`), SNS Publish for transactional SMS."""

    def __init__(self, sender_email: str | None = None, region: str | None = None) -> None:
        self.sender_email = sender_email or os.environ.get("CHAIRSIDE_SENDER_EMAIL") or DEFAULT_SENDER_EMAIL
        # A configuration set whose event destination publishes bounces and complaints to the feedback topic.
        self.configuration_set = os.environ.get("CHAIRSIDE_SES_CONFIGURATION_SET") or None
        # The number SMS go out from when the deployment has its own (None: SNS's shared pool). Replies and
        # STOPs arrive at it, so it is the sending identity an opt-out is scoped to (shared/services/inbound.py).
        self.sms_sender = os.environ.get("CHAIRSIDE_SMS_ORIGINATION_NUMBER") or None
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._identity_checked = False

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                config = Config(retries={"mode": "standard", "max_attempts": CLIENT_ATTEMPTS},
                                connect_timeout=5, read_timeout=10)
                self._clients[service] = boto3.client(service, region_name=self.region, config=config)
            return self._clients[service]

    def _ensure_local_identity(self) -> None:
        """Against a local SES stand-in (moto's server on 127.0.0.1) make the From address a verified
        identity, as it must be in AWS; against AWS nothing is created: the deployer verifies it."""
        if self._identity_checked:
            return
        client = self._client("sesv2")
        if _is_loopback(client.meta.endpoint_url):
            try:
                client.create_email_identity(EmailIdentity=self.sender_email)
            except Exception as exc:  # already verified is fine; anything else shows up at send time
                if "AlreadyExists" not in type(exc).__name__:
                    raise classify(exc) from exc
        self._identity_checked = True

    def send_email(self, to: str, subject: str, text: str, html: str | None) -> str:
        body: dict[str, Any] = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        try:
            self._ensure_local_identity()
            request: dict[str, Any] = {
                "FromEmailAddress": self.sender_email,
                "Destination": {"ToAddresses": [to]},
                "Content": {"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body}},
            }
            if self.configuration_set:
                request["ConfigurationSetName"] = self.configuration_set
            answer = self._client("sesv2").send_email(**request)
        except Exception as exc:
            raise classify(exc) from exc
        return str(answer["MessageId"])

    def send_sms(self, phone: str, text: str) -> str:
        if not E164.match(phone or ""):  # SNS (and moto) would take anything; a bad number is final
            raise SendError("InvalidPhoneNumber", "not an E.164 phone number", retryable=False)
        try:
            answer = self._client("sns").publish(
                PhoneNumber=phone,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    **({"AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": self.sms_sender}}
                       if self.sms_sender else {}),
                },
            )
        except Exception as exc:
            raise classify(exc) from exc
        return str(answer["MessageId"])


_default: Notifier | None = None
_default_lock = threading.Lock()


def default() -> Notifier:
    """The process's AWS notifier, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = AwsNotifier()
        return _default


def reset_default() -> None:
    """Forget the process's notifier (tests, and after the environment changes)."""
    global _default
    with _default_lock:
        _default = None
