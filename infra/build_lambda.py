"""Builds the Lambda package that template.yaml deploys: `python -m infra.build_lambda [--no-deps]`.

build/lambda/ gets our code (app.py, functions/, shared/: no tests, infra/ or bench/) and the locked
runtime dependencies (infra/lambda-requirements.txt: exact versions with hashes, installed with
`--require-hashes --no-deps` as wheels for the template's runtime and architecture, whatever machine
builds), then bytecode for all of it. Lambda's code directory is read-only, so without bytecode every cold
start compiles every module; the bytecode is compiled by the build's own Python, which must therefore be
the runtime's version (the build refuses otherwise), in unchecked-hash mode: zip archives keep source
times only to 2 s, and a checked .pyc whose time no longer matches would be compiled again in memory.

`python -m infra.build_lambda --lock` resolves pyproject's `[project].dependencies` again (pip's resolver,
against the configured index) and rewrites the lock without the distributions the runtime never imports
(chalice's command-line tools, pip and the like). boto3/botocore are vendored although the runtime has
them: pynamodb and our tests then see the same botocore as AWS, and a runtime update cannot change it
under us; the size report counts them apart.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from infra.template_static import ARCHITECTURE, CODE_URI, RUNTIME

REPO = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO / CODE_URI
LOCK = REPO / "infra" / "lambda-requirements.txt"
CODE = ("app.py", "functions", "shared")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests", "test_*.py", "conftest.py")
# manylinux2014 wheels (glibc 2.17) run on Lambda's Amazon Linux 2023 and exist for all our dependencies.
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Distributions a dependency declares that nothing in the function ever imports: chalice's command line
# (deployer, prompts, YAML templates) and packaging tools. The package test imports and serves without them.
NEVER_IMPORTED = frozenset({"blessed", "click", "editor", "inquirer", "jinxed", "packaging", "pip", "pyyaml",
                            "readchar", "runs", "setuptools", "wcwidth", "wheel", "xmod"})
# Inside powertools we use Logger, Metrics, Tracer and the Secrets Manager parameters (shared/cursor_keys.py):
# its event handlers and other utilities (parser, idempotency, batch, ...: most of its size) are never
# imported. What stays of utilities/ is what those import.
UNUSED_TREES = ("aws_lambda_powertools/event_handler",)
KEPT_OF = {"aws_lambda_powertools/utilities": frozenset({"__init__.py", "jmespath_utils", "typing",
                                                           "serialization.py", "parameters"})}
SDK = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})  # what the Lambda runtime also provides


def runtime_dependencies(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The requirement strings of `[project].dependencies`: never the optional (local, dev) extras."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def runtime_version() -> tuple[int, int]:
    major, minor = RUNTIME.removeprefix("python").split(".")
    return int(major), int(minor)


def check_python(version: Sequence[int] = sys.version_info[:2]) -> None:
    """Bytecode is specific to a Python version: the build's must be the template's runtime."""
    wanted = runtime_version()
    if tuple(version[:2]) != wanted:
        have = ".".join(map(str, version[:2]))
        raise SystemExit(
            f"template.yaml's runtime is {RUNTIME} but this is Python {have}: the package's bytecode would be "
            f"ignored. Run the build with that Python (`python{wanted[0]}.{wanted[1]} -m infra.build_lambda`), "
            "or change RUNTIME in infra/template_static.py and regenerate the template and the lock.")


def _pip_target_flags(target: Path, architecture: str = ARCHITECTURE) -> list[str]:
    return ["--target", str(target), "--platform", PLATFORMS[architecture], "--implementation", "cp",
            "--python-version", RUNTIME.removeprefix("python"), "--only-binary=:all:"]


def pip_command(target: Path, requirements: Path = LOCK, architecture: str = ARCHITECTURE) -> list[str]:
    """Install exactly the locked wheels: every one hash-checked, nothing resolved again."""
    return [sys.executable, "-m", "pip", "install", "--requirement", str(requirements), "--require-hashes",
            "--no-deps", *_pip_target_flags(target, architecture), "--no-compile", "--quiet"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_inputs() -> str:
    """A digest of what the lock is resolved from: a change to any of these makes the lock stale."""
    inputs = {"dependencies": runtime_dependencies(), "never_imported": sorted(NEVER_IMPORTED),
              "platforms": PLATFORMS, "runtime": RUNTIME}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def locked_inputs(lock: Path = LOCK) -> str | None:
    match = re.search(r"^# inputs: (\w+)$", lock.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else None


def locked_names(lock: Path = LOCK) -> set[str]:
    return {canonical(line.split("==")[0]) for line in lock.read_text(encoding="utf-8").splitlines()
            if line and not line[0].isspace() and not line.startswith("#")}


def resolve(requirements: Sequence[str], architecture: str) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of every wheel pip's resolver picks for the runtime, via a dry run."""
    with tempfile.TemporaryDirectory() as scratch:
        spec, report = Path(scratch) / "requirements.in", Path(scratch) / "report.json"
        spec.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), "--requirement", str(spec),
                        *_pip_target_flags(Path(scratch) / "target", architecture)], check=True)
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    return sorted((canonical(item["metadata"]["name"]), item["metadata"]["version"],
                   item["download_info"]["archive_info"]["hashes"]["sha256"]) for item in installs)


def write_lock(lock: Path = LOCK) -> list[str]:
    """Resolve again and rewrite the lock; returns the names left out as never imported."""
    # Both architectures, so the package can also be built for this machine (the package test imports it).
    by_architecture = {arch: resolve(runtime_dependencies(), arch) for arch in sorted(PLATFORMS)}
    hashes: dict[tuple[str, str], set[str]] = {}
    for resolved in by_architecture.values():
        for name, version, digest in resolved:
            hashes.setdefault((name, version), set()).add(digest)
    versions = {arch: {(n, v) for n, v, _ in resolved} for arch, resolved in by_architecture.items()}
    if len({frozenset(pairs) for pairs in versions.values()}) != 1:
        raise SystemExit(f"the architectures resolve to different versions: {versions}")
    left_out = sorted({name for name, _ in hashes if name in NEVER_IMPORTED})
    lines = [
        "# The Lambda package's dependencies, locked: generated by `python -m infra.build_lambda --lock` from",
        f"# pyproject.toml's [project].dependencies for {RUNTIME} ({', '.join(PLATFORMS.values())}).",
        f"# Left out (never imported at run time): {', '.join(left_out)}.",
        f"# inputs: {lock_inputs()}",
    ]
    for (name, version), digests in sorted(hashes.items()):
        if name not in NEVER_IMPORTED:
            lines.append(f"{name}=={version}" + "".join(f" \\\n    --hash=sha256:{d}" for d in sorted(digests)))
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return left_out


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


def prune(target: Path) -> None:
    """Remove the parts of installed distributions that nothing in the function imports."""
    for tree in UNUSED_TREES:
        shutil.rmtree(target / tree, ignore_errors=True)
    for folder, kept in KEPT_OF.items():
        for path in (target / folder).iterdir() if (target / folder).is_dir() else ():
            if path.name not in kept:
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def compile_bytecode(target: Path) -> None:
    """Every module's .pyc beside it (__pycache__), valid without comparing source times."""
    ok = compileall.compile_dir(str(target), quiet=1, workers=0,
                                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not ok:
        raise SystemExit(f"some modules under {target} do not compile")


def build(target: Path = BUILD_DIR, with_dependencies: bool = True, lock: Path = LOCK,
          architecture: str = ARCHITECTURE) -> Path:
    """A fresh package in `target`, compiled for the runtime; returns `target`. Another `architecture` than
    the template's is for trying the package on this machine."""
    check_python()
    if with_dependencies and locked_inputs(lock) != lock_inputs():
        raise SystemExit(f"{lock.relative_to(REPO)} is stale (pyproject's dependencies changed): "
                         "run `python -m infra.build_lambda --lock`")
    _clear(target)
    target.mkdir(parents=True)
    copy_code(target)
    if with_dependencies:
        subprocess.run(pip_command(target, lock, architecture), check=True)
        prune(target)
    compile_bytecode(target)
    return target


def distribution_of(path: Path, target: Path) -> str:
    """The top-level folder or module a packaged file belongs to (`botocore`, `app.py`, ...)."""
    top = path.relative_to(target).parts[0]
    return canonical(re.sub(r"(-[\d.]+[^-]*)?\.dist-info$", "", top).removesuffix(".py"))


def zipped_sizes(target: Path) -> tuple[int, int]:
    """(bytes zipped, bytes zipped without the SDK) of the package, deflated as `sam deploy` uploads it."""
    total = without_sdk = 0
    with tempfile.TemporaryFile() as scratch, zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(target))
            size = archive.getinfo(str(path.relative_to(target))).compress_size
            total += size
            if distribution_of(path, target) not in SDK:
                without_sdk += size
    return total, without_sdk


def package_size(target: Path) -> int:
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-deps", action="store_true", help="copy and compile only our code (fast; tests)")
    parser.add_argument("--target", type=Path, default=BUILD_DIR, help=f"build folder (default {CODE_URI})")
    parser.add_argument("--lock", action="store_true", help="resolve the dependencies again and rewrite "
                        f"{LOCK.relative_to(REPO)}, then stop")
    args = parser.parse_args(argv)
    if args.lock:
        left_out = write_lock()
        print(f"wrote {LOCK} ({len(locked_names())} distributions; left out: {', '.join(left_out)})")
        return
    build(args.target, with_dependencies=not args.no_deps)
    zipped, without_sdk = zipped_sizes(args.target)
    print(f"built {args.target} for {RUNTIME}/{ARCHITECTURE}: {package_size(args.target) / 1e6:.1f} MB unzipped, "
          f"{zipped / 1e6:.1f} MB zipped, {without_sdk / 1e6:.1f} MB zipped without the SDK "
          f"({', '.join(sorted(SDK))})")


if __name__ == "__main__":
    main()
