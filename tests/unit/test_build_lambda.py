"""The Lambda package holds our runtime code and the locked runtime dependencies, compiled, nothing else."""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from infra import build_lambda

REPO = Path(__file__).resolve().parents[2]
DEV_ONLY = {"moto", "pytest", "hypothesis", "cfn-lint", "ruff", "pytest-xdist", "pyyaml"}


def _pyproject() -> dict:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


class _IgnoreTags(yaml.SafeLoader):
    """Reads template.yaml's plain values; intrinsic functions (!Ref, ...) become None."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lambda") / "package"
    build_lambda.main(["--no-deps", "--target", str(target)])
    return target


def test_package_holds_app_functions_and_shared(package: Path) -> None:
    assert (package / "app.py").is_file()
    assert (package / "functions").is_dir() and (package / "shared").is_dir()
    for folder in ("functions", "shared"):
        ours = {
            path.relative_to(REPO)
            for path in (REPO / folder).rglob("*.py")
            if "__pycache__" not in path.parts
        }
        packaged = {path.relative_to(package) for path in (package / folder).rglob("*.py")}
        assert packaged == ours


def test_package_has_no_tests_or_tooling_and_is_compiled(package: Path) -> None:
    top = {path.name for path in package.iterdir()}
    assert top == {"app.py", "__pycache__", "functions", "shared"}  # app.py's bytecode
    for path in package.rglob("*"):
        name = path.name.lower()
        assert not any(tool in name for tool in ("moto", "pytest", "hypothesis", "conftest")), path
        assert not {"tests", "infra", "bench"} & set(path.relative_to(package).parts), path
    for source in package.rglob("*.py"):
        compiled = Path(importlib.util.cache_from_source(str(source)))
        assert compiled.is_file(), source
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled}: not an unchecked-hash .pyc"  # hash-based, source never checked


def test_lock_is_current_and_leaves_out_what_the_runtime_never_imports() -> None:
    assert build_lambda.locked_inputs() == build_lambda.lock_inputs(), "run python -m infra.build_lambda --lock"
    locked = build_lambda.locked_names()
    runtime = {_name(req) for req in build_lambda.runtime_dependencies()}
    assert runtime <= locked
    assert not locked & build_lambda.NEVER_IMPORTED
    assert not locked & {"pyjwt", "cryptography", "cffi", "moto"}
    for line in build_lambda.LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", " ")):
            assert re.fullmatch(r"[a-z0-9-]+==[\w.]+ \\", line), line


def test_runtime_dependencies_are_pyprojects_and_never_local_or_dev_ones() -> None:
    project = _pyproject()["project"]
    assert build_lambda.runtime_dependencies() == project["dependencies"]
    optional = {_name(req) for extra in project["optional-dependencies"].values() for req in extra}
    runtime = {_name(req) for req in project["dependencies"]}
    assert not runtime & (optional | DEV_ONLY)
    assert "chairside" not in runtime


def test_the_build_refuses_a_python_other_than_the_runtime() -> None:
    major, minor = build_lambda.runtime_version()
    build_lambda.check_python((major, minor))
    with pytest.raises(SystemExit, match="runtime is python"):
        build_lambda.check_python((major, minor + 1))


def test_pip_installs_the_locked_wheels_for_the_runtime_and_architecture_of_the_template() -> None:
    text = (REPO / "template.yaml").read_text(encoding="utf-8")
    template = yaml.load(text, Loader=_IgnoreTags)  # noqa: S506 - a SafeLoader subclass
    function_globals = template["Globals"]["Function"]
    (architecture,) = function_globals["Architectures"]
    command = build_lambda.pip_command(Path("/tmp/target"))
    flags = dict(zip(command, command[1:], strict=False))
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    platforms = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
    assert flags["--platform"] == platforms[architecture]
    assert "python" + flags["--python-version"] == function_globals["Runtime"] == build_lambda.RUNTIME
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == flags["--python-version"]
    assert flags["--implementation"] == "cp"
    assert flags["--target"] == "/tmp/target"
    assert flags["--requirement"] == str(build_lambda.LOCK)
    assert {"--only-binary=:all:", "--no-compile", "--require-hashes", "--no-deps"} <= set(command)


def test_rebuilding_starts_from_an_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "package"
    build_lambda.build(target, with_dependencies=False)
    (target / "stale.py").write_text("left from an earlier build\n")
    build_lambda.build(target, with_dependencies=False)
    assert not (target / "stale.py").exists()
    assert (target / "app.py").is_file()


def test_refuses_to_clear_the_repository_or_a_folder_above_it(tmp_path: Path, monkeypatch) -> None:
    fake_repo = tmp_path / "repo"
    (fake_repo / "shared").mkdir(parents=True)
    monkeypatch.setattr(build_lambda, "REPO", fake_repo)
    for target in (fake_repo, tmp_path):
        with pytest.raises(SystemExit, match="refusing"):
            build_lambda.build(target, with_dependencies=False)
    assert (fake_repo / "shared").is_dir()


def test_packaged_code_imports_and_registers_every_route(package: Path) -> None:
    """Run from the package folder, so our modules come from it (dependencies from this venv)."""
    probe = (
        "import app, shared, functions, pathlib;"
        "assert pathlib.Path(shared.__file__).resolve().is_relative_to(pathlib.Path.cwd().resolve());"
        "print(sum(len(methods) for methods in app.app.routes.values()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=package, capture_output=True, text=True, timeout=60,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"},
    )
    assert result.returncode == 0, result.stderr
    from app import app

    assert int(result.stdout.strip()) == sum(len(methods) for methods in app.routes.values())


# What the packaged function does with nothing but the package and the standard library on its path: import
# the app, serve a public and an authenticated route (claims as API Gateway's authorizer passes them), load
# every route module, its models and the OpenAPI document, and the job handlers; never write bytecode.
_ALONE_PROBE = """
import json, os, sys
sys.path[:0] = [os.getcwd()]
before = {p for p in os.listdir('.')}
import app
def call(path, claims=None):
    context = {"resourcePath": path, "httpMethod": "GET", "requestId": "r1", "path": path}
    if claims:
        context["authorizer"] = {"claims": claims}
    event = {"resource": path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
             "requestContext": context, "body": None, "isBase64Encoded": False, "stageVariables": None}
    return app.app(event, None)
assert call("/health")["statusCode"] == 200
assert call("/openapi.json")["statusCode"] == 200
assert call("/locations")["statusCode"] == 401
claims = {"sub": "u1", "custom:org": "org_x", "custom:role": "readonly", "custom:locations": "*"}
assert call("/procedures", claims)["statusCode"] in (200, 400), call("/procedures", claims)
import functions.jobs, functions.routes
from aws_lambda_powertools.utilities.parameters import SecretsProvider  # shared/cursor_keys.py, in AWS
assert len(functions.routes.all_routes()) == sum(len(m) for m in app.app.routes.values())
for banned in ("jwt", "cryptography", "yaml", "click", "pip", "moto"):
    try:
        __import__(banned)
    except ImportError:
        continue
    raise SystemExit(banned + " is importable from the package")
outside = [m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)
           and "site-packages" in m.__file__]
assert not outside, outside[:5]
written = [str(p) for p in __import__("pathlib").Path(".").rglob("*.pyc") if p.stat().st_mtime > START]
assert not written, written[:5]
print("ok")
"""


def test_the_built_package_imports_and_serves_alone(tmp_path: Path) -> None:
    """The real build (locked wheels, pruned, compiled) for this machine's architecture, then a Python with
    no site-packages at all runs the function from it."""
    import time

    host = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    target = build_lambda.build(tmp_path / "package", architecture=host)
    started = time.time() + 1
    time.sleep(1.1)  # bytecode written by the probe would be newer than this
    env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", f"START = {started}\n" + _ALONE_PROBE],
                            cwd=target, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
