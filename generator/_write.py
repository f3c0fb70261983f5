"""Writing a generated package: formatted with ruff, swapped into place atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._errors import GeneratorError

# The project's own formatter settings: generated code passes `ruff format --check`.
RUFF_SETTINGS = ("--line-length", "100", "--target-version", "py311")
# Import sorting must not depend on the working directory: left alone, ruff calls
# `connectory` first-party only when run from the repository (its `src` is the cwd).
ISORT_SETTINGS = ("--config", "lint.isort.known-first-party = ['connectory']")


def format_tree(root: Path) -> None:
    """Format every Python file below `root` in place (imports sorted, then ruff format)."""
    base = [sys.executable, "-m", "ruff"]
    steps = (
        [
            *base,
            "check",
            "--isolated",
            "--no-cache",
            *RUFF_SETTINGS,
            *ISORT_SETTINGS,
            "--select",
            "I,F401",
            "--fix",
            "--quiet",
            "--exit-zero",
            str(root),
        ],
        [*base, "format", "--isolated", "--no-cache", *RUFF_SETTINGS, "--quiet", str(root)],
    )
    for command in steps:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise GeneratorError(
                f"ruff failed on the generated code ({' '.join(command[3:5])}): "
                f"{completed.stderr.strip() or completed.stdout.strip()}"
            )


def write_package(files: Mapping[str, str], out: Path) -> None:
    """Write `files` to `out` atomically: a failure leaves the previous `out` untouched."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for relative, text in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        format_tree(staging)
        # mkdtemp makes the folder private (0o700); a package folder is world-readable.
        os.chmod(staging, 0o755)  # noqa: S103
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.rmdir(retired)
            os.replace(out, retired)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file below `root` (caches excluded), by relative path."""
    result: dict[str, bytes] = {}
    if not root.exists():
        return result
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            result[path.relative_to(root).as_posix()] = path.read_bytes()
    return result


def write_file(path: Path, text: str) -> None:
    """Write one file atomically: a failure leaves the previous file untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
