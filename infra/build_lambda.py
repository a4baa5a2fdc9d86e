"""Builds the Lambda package that template.yaml deploys: `python -m infra.build_lambda [--no-deps]`.

build/lambda/ gets our code (app.py, functions/, shared/: no tests, infra/, bench/ or bytecode) and the
runtime dependencies listed in pyproject.toml's `[project].dependencies` and nothing else: pip installs
them as wheels built for the Lambda runtime and architecture that template.yaml names, whatever machine
builds. boto3 is vendored although the runtime has one: pynamodb and our tests then see the same
botocore as AWS, and a runtime update cannot change it under us.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from infra.template_static import ARCHITECTURE, CODE_URI, RUNTIME

REPO = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO / CODE_URI
CODE = ("app.py", "functions", "shared")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests", "test_*.py", "conftest.py")
# manylinux2014 wheels (glibc 2.17) run on Lambda's Amazon Linux 2023 and exist for all our dependencies.
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def runtime_dependencies(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The requirement strings of `[project].dependencies`: never the optional (local, dev) extras."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def pip_command(target: Path, requirements: Path) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        "--requirement", str(requirements),
        "--platform", PLATFORMS[ARCHITECTURE],
        "--implementation", "cp",
        "--python-version", RUNTIME.removeprefix("python"),
        "--only-binary=:all:",
        "--no-compile",  # bytecode of this machine's Python would be dead weight for the runtime's
        "--quiet",
    ]


def _clear(target: Path) -> None:
    target = target.resolve()
    if target == REPO or target in REPO.parents or target == Path.home():
        raise SystemExit(f"refusing to clear {target}: choose a build folder")
    if target.exists():
        shutil.rmtree(target)


def copy_code(target: Path, repo: Path = REPO) -> None:
    for name in CODE:
        source = repo / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=SKIPPED)
        else:
            shutil.copy2(source, target / name)


def build(target: Path = BUILD_DIR, with_dependencies: bool = True) -> Path:
    """A fresh package in `target`; returns the path of the requirements.txt written into it."""
    _clear(target)
    target.mkdir(parents=True)
    copy_code(target)
    requirements = target / "requirements.txt"
    lines = [
        "# Runtime dependencies from pyproject.toml [project].dependencies, installed here by",
        f"# `python -m infra.build_lambda` for {RUNTIME} on {ARCHITECTURE} ({PLATFORMS[ARCHITECTURE]}).",
        *runtime_dependencies(),
    ]
    requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if with_dependencies:
        subprocess.run(pip_command(target, requirements), check=True)
    return requirements


def package_size(target: Path) -> int:
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-deps", action="store_true", help="copy only our code (fast; tests use it)")
    parser.add_argument("--target", type=Path, default=BUILD_DIR, help=f"build folder (default {CODE_URI})")
    args = parser.parse_args(argv)
    build(args.target, with_dependencies=not args.no_deps)
    size_mb = package_size(args.target) / 1_000_000
    print(f"built {args.target} ({size_mb:.1f} MB unzipped; Lambda allows 250 MB)")


if __name__ == "__main__":
    main()
