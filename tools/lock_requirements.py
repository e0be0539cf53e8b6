"""Regenerate requirements.txt and requirements-dev.txt from the *.in files.

Asks pip to resolve (without installing) and writes every resolved package with its
exact version, so that a fresh install gets the same versions as CI did.
Run through `make lock`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def resolve(*inputs: str) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        args += ["--quiet", "--report", str(report)]
        for name in inputs:
            args += ["-r", str(ROOT / name)]
        subprocess.run(args, check=True)  # noqa: S603 - fixed arguments
        data = json.loads(report.read_text())
    return sorted((i["metadata"]["name"], i["metadata"]["version"]) for i in data["install"])


def write(target: str, packages: list[tuple[str, str]], sources: str) -> None:
    lines = [f"# Exact versions of every package, resolved from {sources} by `make lock`."]
    lines += [f"{name}=={version}" for name, version in packages]
    (ROOT / target).write_text("\n".join(lines) + "\n")


def main() -> None:
    write("requirements.txt", resolve("requirements.in"), "requirements.in")
    write(
        "requirements-dev.txt",
        resolve("requirements.in", "requirements-dev.in"),
        "requirements.in and requirements-dev.in",
    )


if __name__ == "__main__":
    main()
