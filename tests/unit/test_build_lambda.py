"""The Lambda package holds our runtime code and pyproject's runtime dependencies, nothing else."""

from __future__ import annotations

import os
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


def _requirements(package: Path) -> list[str]:
    lines = (package / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


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


def test_package_has_no_tests_tooling_or_bytecode(package: Path) -> None:
    top = {path.name for path in package.iterdir()}
    assert top == {"app.py", "functions", "shared", "requirements.txt"}
    for path in package.rglob("*"):
        name = path.name.lower()
        assert name != "__pycache__" and not name.endswith((".pyc", ".pyo")), path
        assert not any(tool in name for tool in ("moto", "pytest", "hypothesis", "conftest")), path
        assert not {"tests", "infra", "bench"} & set(path.relative_to(package).parts), path


def test_requirements_are_exactly_pyprojects_runtime_dependencies(package: Path) -> None:
    project = _pyproject()["project"]
    assert _requirements(package) == project["dependencies"] == build_lambda.runtime_dependencies()
    optional = {_name(req) for extra in project["optional-dependencies"].values() for req in extra}
    runtime = {_name(req) for req in project["dependencies"]}
    assert not runtime & (optional | DEV_ONLY)
    assert "chairside" not in runtime


def test_pip_installs_wheels_for_the_runtime_and_architecture_of_the_template() -> None:
    text = (REPO / "template.yaml").read_text(encoding="utf-8")
    template = yaml.load(text, Loader=_IgnoreTags)  # noqa: S506 - a SafeLoader subclass
    function_globals = template["Globals"]["Function"]
    (architecture,) = function_globals["Architectures"]
    command = build_lambda.pip_command(Path("/tmp/target"), Path("/tmp/requirements.txt"))
    flags = dict(zip(command, command[1:], strict=False))
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    platforms = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
    assert flags["--platform"] == platforms[architecture]
    assert "python" + flags["--python-version"] == function_globals["Runtime"]
    assert flags["--implementation"] == "cp"
    assert flags["--target"] == "/tmp/target"
    assert flags["--requirement"] == "/tmp/requirements.txt"
    assert "--only-binary=:all:" in command and "--no-compile" in command


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
