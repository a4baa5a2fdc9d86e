"""Build the coordinator console (console/) when its sources or the API's OpenAPI document changed.

The console's API client is generated from the OpenAPI document this very code base produces, then the
console is type-checked against it and bundled by Vite into console/dist. A stamp of the inputs' hash
makes a second call free; a file lock keeps two processes (say, two local stacks in tests) from building
into the same folder at once. `python -m infra.console_build` builds it by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import mimetypes
import os
import shutil
import subprocess
from pathlib import Path

CONSOLE = Path(__file__).resolve().parent.parent / "console"
DIST = CONSOLE / "dist"
OPENAPI = CONSOLE / "openapi.json"  # generated (gitignored): the input of openapi-typescript
SCHEMA = CONSOLE / "src" / "api" / "schema.d.ts"  # generated (gitignored): the typed paths of the API
_STAMP = DIST / ".inputs"
_SOURCES = ("index.html", "sign.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json")


class ConsoleBuildFailed(RuntimeError):
    """npm, the type check or Vite failed; the message carries the tail of its output."""


def _canonical(node):
    """Enums built from sets list their members in a per-process order: sort them so the hash is stable."""
    if isinstance(node, dict):
        return {key: sorted(value, key=str) if key == "enum" and isinstance(value, list) else _canonical(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_canonical(item) for item in node]
    return node


def content_type(path: Path) -> str:
    """A built file's Content-Type, as the local stack serves it and the upload stores it in S3."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return kind + "; charset=utf-8" if kind.startswith("text/") or kind.endswith(("javascript", "json")) else kind


def openapi_text() -> str:
    from functions.openapi import document

    return json.dumps(_canonical(document()), indent=1, sort_keys=True)


def _inputs_hash(openapi: str) -> str:
    digest = hashlib.sha256(openapi.encode())
    files = [CONSOLE / name for name in _SOURCES] + sorted((CONSOLE / "src").rglob("*"))
    for path in files:
        if path.is_file() and path != SCHEMA:
            digest.update(str(path.relative_to(CONSOLE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _npm(*args: str, say) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ConsoleBuildFailed("npm is required to build the console: install Node.js 18+ with npm")
    say(f"console: npm {' '.join(args)}")
    done = subprocess.run([npm, *args], cwd=CONSOLE, capture_output=True, text=True,
                          env={**os.environ, "NO_UPDATE_NOTIFIER": "1", "npm_config_fund": "false",
                               "npm_config_audit": "false"})
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise ConsoleBuildFailed(f"npm {' '.join(args)} failed:\n{tail}")


def ensure_built(say=print) -> Path:
    """console/dist, built from the current sources and API document; returns its path."""
    openapi = openapi_text()
    wanted = _inputs_hash(openapi)
    if _STAMP.exists() and _STAMP.read_text() == wanted:
        return DIST
    with open(CONSOLE / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text() == wanted:  # built by another process meanwhile
            return DIST
        lock_hash = hashlib.sha256((CONSOLE / "package-lock.json").read_bytes()).hexdigest()
        installed = CONSOLE / "node_modules" / ".chairside-lock"
        if not installed.exists() or installed.read_text() != lock_hash:
            _npm("ci", "--no-fund", "--no-audit", say=say)
            installed.write_text(lock_hash)
        OPENAPI.write_text(openapi)
        _npm("run", "--silent", "gen:api", say=say)
        _npm("run", "--silent", "typecheck", say=say)
        _npm("run", "--silent", "build", say=say)
        _STAMP.write_text(wanted)
    say(f"console: built into {DIST}")
    return DIST


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    ensure_built()
