"""The local stack's processes: fetching DynamoDB Local, running it, and running moto's server."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra import local_services
from infra.ddb_local import (
    DYNAMODB_LOCAL_NPM_VERSION,
)
from infra.local_services import (
    DynamoDBLocal,
    MotoServer,
    PortInUse,
    free_port,
    http_answers,
    port_is_free,
    wait_for_http,
)
from tests.helpers import CACHE, fake_jar_layout, versions_dir

# --- ports and polling ---------------------------------------------------------------------------------


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_free_port_can_be_listened_on():
    port = free_port()

    assert port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_listening_port_is_not_free(listening_port: int):
    assert not port_is_free(listening_port)
    assert not port_is_free(listening_port, "127.0.0.1")


def test_wait_for_http_counts_an_error_status_as_up():
    # BaseHTTPRequestHandler answers POST with 501: the server is up even though it refuses.
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert http_answers(url)
        assert wait_for_http(url, timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_wait_for_http_gives_up_on_timeout_or_when_told():
    url = f"http://127.0.0.1:{free_port()}/"

    started = time.monotonic()
    assert not wait_for_http(url, timeout=0.3)
    assert time.monotonic() - started < 2

    started = time.monotonic()
    assert not wait_for_http(url, timeout=30, give_up=lambda: True)
    assert time.monotonic() - started < 1


def test_dynamodb_local_on_a_taken_port_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listening_port: int
):
    monkeypatch.setattr(local_services, "require_java", lambda: "java")
    fake_jar_layout(versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION)

    with pytest.raises(PortInUse) as raised:
        DynamoDBLocal(tmp_path, port=listening_port).start()

    assert str(raised.value) == (
        f"port {listening_port} is already in use: stop what listens there or choose another port"
    )


def test_moto_server_on_a_taken_port_fails_with_one_line(listening_port: int):
    with pytest.raises(PortInUse, match=f"port {listening_port} is already in use"):
        MotoServer(port=listening_port).start()


def test_moto_server_that_cannot_bind_fails_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch, listening_port: int
):
    # Skip the early check to reach werkzeug's own bind failure (as when another process wins a race).
    monkeypatch.setattr(local_services, "port_is_free", lambda port, host="0.0.0.0": True)

    with pytest.raises(RuntimeError, match=f"moto's server did not start on port {listening_port}"):
        MotoServer(port=listening_port).start()


def test_endpoint_of_a_server_not_started_is_an_error(tmp_path: Path):
    with pytest.raises(RuntimeError, match="not started"):
        _ = DynamoDBLocal(tmp_path).endpoint_url
    with pytest.raises(RuntimeError, match="not started"):
        _ = MotoServer().endpoint_url


# --- real processes ------------------------------------------------------------------------------------


def _assert_port_closed(port: int) -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))


def _assert_process_group_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


@pytest.fixture
def dummy_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def _create_table(client, name: str) -> None:  # noqa: ANN001 - a boto3 client
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.mark.ddblocal
def test_dynamodb_local_in_memory_serves_and_stops_without_leftovers(dummy_aws: None):
    with DynamoDBLocal(CACHE) as ddb:
        port, pid = ddb.port, ddb.pid
        assert pid is not None
        client = boto3.client("dynamodb", endpoint_url=ddb.endpoint_url)
        assert client.list_tables()["TableNames"] == []
        _create_table(client, "chairside-test")
        assert client.list_tables()["TableNames"] == ["chairside-test"]
        assert client.describe_table(TableName="chairside-test")["Table"]["TableStatus"] == "ACTIVE"
        assert "InMemory:\ttrue" in ddb.log_tail()

    assert ddb.pid is None
    _assert_port_closed(port)
    _assert_process_group_gone(pid)
    assert ddb.log_path is not None
    assert not ddb.log_path.exists()


@pytest.mark.ddblocal
def test_dynamodb_local_with_a_data_dir_keeps_tables_across_restarts(tmp_path: Path, dummy_aws: None):
    data_dir = tmp_path / "data"
    with DynamoDBLocal(CACHE, data_dir=data_dir) as ddb:
        _create_table(boto3.client("dynamodb", endpoint_url=ddb.endpoint_url), "kept")

    with DynamoDBLocal(CACHE, data_dir=data_dir) as ddb:
        assert boto3.client("dynamodb", endpoint_url=ddb.endpoint_url).list_tables()["TableNames"] == ["kept"]
        assert ddb.log_tail(lines=100).count("Initializing DynamoDB Local") == 1  # this run's lines only

    assert list(data_dir.glob("*.db"))
    assert (data_dir / "dynamodb-local.log").read_text().count("Initializing DynamoDB Local") == 2


@pytest.mark.ddblocal
def test_java_that_dies_at_startup_fails_fast_with_the_log_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A relative cache dir on purpose: java runs elsewhere, so the jar path must have been made absolute.
    monkeypatch.chdir(tmp_path)
    fake_jar_layout(versions_dir(Path("cache")) / DYNAMODB_LOCAL_NPM_VERSION)
    ddb = DynamoDBLocal(Path("cache"))

    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"(?s)exited with code 1.*Invalid or corrupt jarfile"):
        ddb.start()

    assert time.monotonic() - started < 10
    assert ddb.pid is None
    assert ddb.log_path is not None
    assert ddb.log_path.exists()


def test_moto_server_stands_in_for_ses_and_sns(dummy_aws: None):
    with MotoServer() as moto:
        port = moto.port
        ses = boto3.client("sesv2", endpoint_url=moto.endpoint_url)
        sns = boto3.client("sns", endpoint_url=moto.endpoint_url)

        ses.create_email_identity(EmailIdentity="frontdesk@clinic.example")
        identities = ses.list_email_identities()["EmailIdentities"]
        assert [i["IdentityName"] for i in identities] == ["frontdesk@clinic.example"]
        topic_arn = sns.create_topic(Name="ses-feedback")["TopicArn"]
        assert topic_arn.endswith(":ses-feedback")

        moto.reset()
        assert ses.list_email_identities()["EmailIdentities"] == []

    _assert_port_closed(port)


def test_free_ports_are_distinct_and_free():
    from infra.local_services import free_ports, port_is_free

    for _ in range(50):  # one free_port() after another may give the same port twice; these never do
        ports = free_ports(3)
        assert len(set(ports)) == 3 and all(port_is_free(port, "127.0.0.1") for port in ports)
