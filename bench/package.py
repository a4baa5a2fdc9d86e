"""The Lambda package as `python -m infra.build_lambda` builds it: zipped size, with and without the SDK.

Builds into a temporary folder (the locked wheels for the template's runtime and architecture, pruned and
compiled), zips it as `sam deploy` uploads it (deflate) and prints the sizes of the biggest parts.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

from bench import summary
from bench.common import heading, machine_line

TOP = 8


def report() -> str:
    from infra import build_lambda

    with tempfile.TemporaryDirectory(prefix="chairside-bench-package-") as scratch:
        target = build_lambda.build(Path(scratch) / "package")
        unzipped = build_lambda.package_size(target)
        zipped, without_sdk = build_lambda.zipped_sizes(target)
        parts: Counter[str] = Counter()
        with tempfile.TemporaryFile() as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(target))
                parts[build_lambda.distribution_of(path, target)] += archive.getinfo(
                    str(path.relative_to(target))).compress_size
    summary.record("package zipped, MB", zipped / 1e6)
    summary.record("package zipped without the SDK, MB", without_sdk / 1e6)
    lines = [heading("Lambda package (python -m infra.build_lambda)"), machine_line(),
             f"{build_lambda.RUNTIME} on {build_lambda.ARCHITECTURE}, bytecode compiled, locked wheels",
             f"unzipped {unzipped / 1e6:.1f} MB, zipped {zipped / 1e6:.1f} MB, "
             f"zipped without the SDK ({', '.join(sorted(build_lambda.SDK))}) {without_sdk / 1e6:.1f} MB",
             "biggest parts, zipped (SDK marked *):"]
    lines += [f"  {size / 1e6:6.2f} MB  {name}{' *' if name in build_lambda.SDK else ''}"
              for name, size in parts.most_common(TOP)]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> None:
    print(report(), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench package", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
