"""Install time, installed size and cold start: connectory against the SDKs a user would pick.

What is installed, each into a fresh venv made with ``python -m venv --without-pip`` in a
temporary folder, by this venv's pip (``pip --python <venv> install``; pip compiles the
bytecode, as in any install):

- ``connectory_github``: the runtime-only core wheel and the GitHub connector wheel, as
  built by ``python scripts/build_wheels.py --out DIR``, with their dependencies;
- ``connectory_runtime``: the core wheel alone (what calling any connector needs);
- ``connectory_all``: the core wheel and every connector wheel;
- ``peer_github``: the project openapi-python-client 0.29.1 generates for the full GitHub
  spec (``pip install <project folder>``: pip builds it first, with the build backend the
  project names);
- ``openai``: ``openai`` from the package registry, a Stainless-generated SDK of similar
  breadth.

One untimed install of each fills pip's cache, then `--rounds` timed installs, the order
reversed every other round. Installed size: the bytes and files that the install added
under the venv's site-packages (pip's own files are not there). Cold start: wall time of
a fresh ``python -c`` that imports the client and builds it, median of `--starts`
processes, next to ``python -c pass`` in the same venv (interpreter start-up alone).

    python bench/bench_install.py [--rounds 2] [--starts 5] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _peer import PEER, PEER_VERSION, PYTHON, REPO, SPEC, child_env, emit, git_state, peer_package
from _stats import loadavg, machine, summary


@dataclass
class Variant:
    name: str
    requirements: list[str]
    start_code: str
    installs: list[dict[str, float]] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    distributions: list[str] = field(default_factory=list)


def tree_size(root: Path) -> tuple[int, int]:
    """Bytes on disk (allocated blocks) and files under `root`."""
    size = files = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size += path.stat().st_blocks * 512
            files += 1
    return size, files


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise RuntimeError(f"no site-packages in {venv}")
    return found[0]


def run(argv: list[str], cwd: Path | None = None, timeout: float = 1800) -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and pip
        argv, capture_output=True, text=True, env=child_env(), cwd=cwd, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        # pip's output names download locations: keep only its last lines, in the error.
        raise RuntimeError(f"{argv[:4]} failed: {completed.stderr.strip().splitlines()[-3:]}")


def install(variant: Variant, venvs: Path, index: int) -> dict[str, float]:
    venv = venvs / f"{variant.name}-{index}"
    run([PYTHON, "-m", "venv", "--without-pip", str(venv)])
    before, files_before = tree_size(site_packages(venv))
    start = time.perf_counter()
    pip = [PYTHON, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
    run([*pip, *variant.requirements])
    seconds = time.perf_counter() - start
    after, files_after = tree_size(site_packages(venv))
    variant.distributions = sorted(
        p.name.split("-")[0] for p in site_packages(venv).glob("*.dist-info")
    )
    return {
        "seconds": seconds,
        "bytes": after - before,
        "files": files_after - files_before,
        "venv": float(index),
    }


def cold_starts(variant: Variant, venv: Path, starts: int) -> None:
    python = str(venv / "bin" / "python")
    for code, into in ((variant.start_code, variant.starts), ("pass", variant.baseline)):
        run([python, "-c", code])  # warm-up: bytecode of anything not yet cached
        for _ in range(starts):
            start = time.perf_counter()
            run([python, "-c", code])
            into.append((time.perf_counter() - start) * 1000)


def build_wheels(out: Path, only: str | None) -> list[Path]:
    argv = [PYTHON, str(REPO / "scripts" / "build_wheels.py"), "--out", str(out)]
    if only:
        argv += ["--only", only]
    for attempt in range(3):  # generated/ may be being rewritten by a concurrent regeneration
        try:
            run(argv)
            break
        except RuntimeError:
            if attempt == 2:
                raise
            shutil.rmtree(out, ignore_errors=True)
            time.sleep(10)
    return sorted(out.glob("*.whl"))


def peer_project(tmp: Path) -> tuple[Path, str]:
    out = tmp / "peer"
    argv = [str(PEER), "generate", "--path", str(SPEC), "--output-path", str(out), "--overwrite"]
    subprocess.run(argv, capture_output=True, env=child_env(), check=False)  # noqa: S603
    package = peer_package(out)  # exits 1 when its ruff hook fails; the project is written
    endpoint = next(
        p
        for p in sorted((package / "api").glob("*/*.py"))
        if '"url": "/orgs/{org}/repos"' in p.read_text(encoding="utf-8")
    )
    module = ".".join(endpoint.relative_to(package.parent).with_suffix("").parts)
    code = (
        f"from {package.name} import AuthenticatedClient\n"
        f"import {module}\n"
        "AuthenticatedClient(base_url='https://api.github.com', token='x')"
    )
    return out, code


OURS_START = (
    "from connectory.connectors.github import GitHubConnector\nGitHubConnector(access_token='x')"
)


def variants(tmp: Path, smoke: bool) -> list[Variant]:
    wheels = build_wheels(tmp / "wheels", "github" if smoke else None)
    core = [str(w) for w in wheels if w.name.startswith("connectory-")]
    github = [str(w) for w in wheels if w.name.startswith("connectory_github-")]
    chosen = [Variant("connectory_github", core + github, OURS_START)]
    if smoke:
        return chosen
    runtime_start = "import connectory.core\nconnectory.core.RateLimits()"
    chosen.append(Variant("connectory_runtime", core, runtime_start))
    chosen.append(Variant("connectory_all", [str(w) for w in wheels], OURS_START))
    project, code = peer_project(tmp)
    chosen.append(Variant("peer_github", [str(project)], code))
    chosen.append(Variant("openai", ["openai"], "import openai\nopenai.AsyncOpenAI(api_key='x')"))
    return chosen


def measure(rounds: int, starts: int, smoke: bool) -> dict[str, object]:
    load_start = loadavg()
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp_name:
        tmp = Path(tmp_name)
        chosen = variants(tmp, smoke)
        venvs = tmp / "venvs"
        venvs.mkdir()
        if not smoke:
            for variant in chosen:  # untimed: fills pip's cache (downloads, built wheels)
                install(variant, venvs, 0)
        for index in range(1, rounds + 1):
            order = chosen if index % 2 else chosen[::-1]
            for variant in order:
                variant.installs.append(install(variant, venvs, index))
        for variant in chosen:
            cold_starts(variant, venvs / f"{variant.name}-1", starts)
        versions = {}
        for variant in chosen:
            versions[variant.name] = len(variant.distributions)
    results: dict[str, object] = {}
    for variant in chosen:
        results[variant.name] = {
            "install_seconds": summary([i["seconds"] for i in variant.installs], 2),
            "installed_bytes": int(statistics.median(i["bytes"] for i in variant.installs)),
            "installed_files": int(statistics.median(i["files"] for i in variant.installs)),
            "distributions": variant.distributions,
            "cold_start_ms": summary(variant.starts),
            "interpreter_start_ms": summary(variant.baseline),
            "cold_start_code": variant.start_code,
        }
    return {
        "benchmark": "install",
        "rounds": rounds,
        "starts": starts,
        "variants": results,
        "peer_version": PEER_VERSION,
        "pip": pip_version(),
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "connectory_git": git_state(),
    }


def pip_version() -> str:
    completed = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    parts = completed.stdout.split()
    return parts[1] if len(parts) > 1 else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="ours only, one install")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if not SPEC.is_file() or not PEER.is_file():
        print(f"SKIPPED: {SPEC} or {PEER} is absent")
        sys.exit(0)
    if args.smoke:
        args.rounds, args.starts = 1, 1
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    emit(measure(args.rounds, args.starts, args.smoke), args.json)


if __name__ == "__main__":
    main()
