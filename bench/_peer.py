"""Shared by the benchmarks against openapi-python-client: paths, skip rule, child runner.

The GitHub spec lives in `../shared/specs` next to the repository, which exists on the
benchmark machine but not on a fresh clone; `skip_reason()` says why a benchmark cannot run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO.parent / "shared" / "specs"
SPEC = SPECS / "business" / "github.json"
# The venv's bin folder, not resolved: it holds `connectory`, `openapi-python-client`, `ruff`.
BIN = Path(sys.executable).parent
PYTHON = sys.executable
CONNECTORY = BIN / "connectory"
PEER = BIN / "openapi-python-client"
PEER_VERSION = "0.29.1"
OUR_NAME = "github_full"


def skip_reason() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if not SPECS.is_dir():
        return f"{SPECS} is absent (the spec corpus exists only on the benchmark machine)"
    if not SPEC.is_file():
        return f"{SPEC} is absent"
    if not CONNECTORY.is_file():
        return f"{CONNECTORY} is absent: install the repository (pip install -e '.[dev]')"
    if not PEER.is_file():
        return (
            f"{PEER} is absent: install the dev extra "
            f"(pip install openapi-python-client=={PEER_VERSION})"
        )
    return None


def skip_if_needed() -> None:
    reason = skip_reason()
    if reason is not None:
        print(f"SKIPPED: {reason}")
        sys.exit(0)


def child_env() -> dict[str, str]:
    """The children's environment: bytecode caching on, the venv's bin first on PATH.

    This machine sets PYTHONDONTWRITEBYTECODE=1, under which every module without a cached
    .pyc is compiled again in every process; a user's install caches bytecode, so the
    children run without it. The peer runs `ruff` from PATH as its post-generation hooks
    (ruff is its own dependency), so the venv's bin goes first, as in an activated venv.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class ChildRun:
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    returncode: int
    timed_out: bool = False


def run_child(
    argv: list[str],
    stdout: Path,
    stderr: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> ChildRun:
    """Run one command, returning its wall time and its own rusage from `os.wait4`.

    On Linux the rusage of a reaped child covers the child and the descendants it waited
    for (ruff, run by both generators), and `ru_maxrss` is the peak RSS of the largest
    single process among them, in KiB. That figure cannot be below the parent's own peak
    RSS: subprocess starts children with vfork, and the exec records the high-water mark of
    the memory it replaces, which is the parent's. A parent measuring children must stay
    small (load no large spec itself). `env` defaults to `child_env()`. With `timeout_s`,
    the child is killed (SIGKILL, the child alone) once that many seconds have passed, and
    the run is marked `timed_out`.
    """
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        # The argv is built here from fixed paths.
        proc = subprocess.Popen(  # noqa: S603
            argv, stdout=out, stderr=err, cwd=cwd, env=child_env() if env is None else env
        )
        timer = threading.Timer(timeout_s, proc.kill) if timeout_s is not None else None
        if timer is not None:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        timed_out=timeout_s is not None and wall >= timeout_s and proc.returncode < 0,
    )


def ours_argv(out_parent: Path, report: Path, spec: Path = SPEC) -> list[str]:
    """`connectory generate --spec`: the package is written to `out_parent / OUR_NAME`."""
    return [
        str(CONNECTORY),
        "generate",
        "--spec",
        str(spec),
        "--name",
        OUR_NAME,
        "--out",
        str(out_parent),
        "--report",
        str(report),
    ]


def peer_argv(out_dir: Path, config: Path | None = None, spec: Path = SPEC) -> list[str]:
    argv = [str(PEER), "generate", "--path", str(spec), "--output-path", str(out_dir)]
    argv.append("--overwrite")
    if config is not None:
        argv += ["--config", str(config)]
    return argv


def peer_package(out_dir: Path) -> Path:
    """The peer's generated package: the one folder with an __init__.py in its output."""
    packages = sorted(p.parent for p in out_dir.glob("*/__init__.py"))
    if len(packages) != 1:
        raise RuntimeError(f"expected one package in {out_dir}, found {packages}")
    return packages[0]


def git_state() -> dict[str, object]:
    """The commit measured, and whether the working tree differed from it."""

    def git(*args: str) -> str:
        completed = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--short"))}


def emit(result: dict[str, object], json_path: str | None) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    if json_path:
        Path(json_path).write_text(text + "\n", encoding="utf-8")
