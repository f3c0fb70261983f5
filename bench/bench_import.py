"""Import time of a generated GitHub connector against openapi-python-client's client.

Both are generated (untimed) from `../shared/specs/business/github.json`, then both trees
are byte-compiled (`python -m compileall -q`). Every measurement runs in a fresh Python
process, with PYTHONDONTWRITEBYTECODE removed from its environment: this machine sets it
to 1, and a process started with it recompiles every module that has no cached .pyc. One
untimed warm-up process of each kind runs first, so any missing cache (for site-packages
or connectory itself) is written before the timed ones; the script checks that no .pyc
appears in either generated tree during the timed processes.

Timed inside each child with `time.perf_counter()` around the import statements alone
(interpreter start-up is not included):

- ours, connector: `import connectory.core` (reported on its own), then
  `from github_full import GithubFullConnector`.
- ours, one model: after core, `from github_full.models import FullRepository`.
- ours, all models: after core, every name of `github_full.models.__all__` by getattr.
- peer, cold: `import <package>.models` (which imports every model eagerly, and the
  package's `__init__`, hence httpx and attrs).
- peer, after deps: `import httpx, attrs` (reported on its own), then `import <package>.models`.

Rounds rotate the order of the five kinds; figures are medians over --repeats processes.
Skips (exit 0) when `../shared/specs` is absent.

    python bench/bench_import.py [--repeats 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from _peer import (
    OUR_NAME,
    PEER_VERSION,
    PYTHON,
    child_env,
    emit,
    git_state,
    ours_argv,
    peer_argv,
    peer_package,
    run_child,
    skip_if_needed,
)

# Each child prints {"first": seconds, "second": seconds, "count": n}; "first" is the
# runtime it needs (connectory.core, or httpx and attrs) and "second" the import measured.
CHILD = """
import json, sys, time
sys.path.insert(0, {path!r})
count = 0
t0 = time.perf_counter()
{first}
t1 = time.perf_counter()
{second}
t2 = time.perf_counter()
print(json.dumps({{"first": t1 - t0, "second": t2 - t1, "count": count,
                  "dont_write_bytecode": sys.dont_write_bytecode}}))
"""

OURS_CORE = "import connectory.core"
OURS_KINDS = {
    "ours_connector": f"from {OUR_NAME} import GithubFullConnector",
    "ours_one_model": f"from {OUR_NAME}.models import FullRepository",
    "ours_all_models": (
        f"import {OUR_NAME}.models as models\n"
        "for name in models.__all__:\n"
        "    getattr(models, name)\n"
        "count = len(models.__all__)"
    ),
}


def peer_kinds(package: str) -> dict[str, tuple[str, str]]:
    models = f"import {package}.models as models\ncount = len(models.__all__)"
    return {
        "peer_models_cold": ("pass", models),
        "peer_models_after_deps": ("import httpx, attrs", models),
    }


def compile_tree(tree: Path) -> list[str]:
    """Byte-compile a tree; return the files that failed to compile."""
    completed = subprocess.run(  # noqa: S603 - fixed argv
        [PYTHON, "-m", "compileall", "-q", str(tree)],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(),
    )
    return [
        line.removeprefix("*** Error compiling ").strip("'.")
        for line in completed.stdout.splitlines()
        if line.startswith("*** Error compiling")
    ]


def count_pyc(*trees: Path) -> int:
    return sum(1 for tree in trees for _ in tree.rglob("*.pyc"))


def run_import(path: Path, first: str, second: str) -> dict[str, float]:
    script = CHILD.format(path=str(path), first=first, second=second)
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [PYTHON, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(),
        cwd=path,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"import child failed:\n{completed.stderr[-3000:]}")
    result: dict[str, float] = json.loads(completed.stdout.splitlines()[-1])
    if result["dont_write_bytecode"]:
        raise RuntimeError("the child ran with sys.dont_write_bytecode set")
    return result


def ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def generate(tmp: Path) -> tuple[Path, Path, dict[str, object]]:
    """Generate both trees (untimed); return our package's parent, the peer's package."""
    logs = tmp / "logs"
    logs.mkdir()
    ours_parent = tmp / "ours"
    ours = run_child(
        ours_argv(ours_parent, tmp / "r.json"), logs / "ours.out", logs / "ours.err", tmp
    )
    if ours.returncode != 0:
        raise RuntimeError((logs / "ours.err").read_text(encoding="utf-8")[-3000:])
    peer_out = tmp / "peer"
    peer = run_child(peer_argv(peer_out), logs / "peer.out", logs / "peer.err", tmp)
    package = peer_package(peer_out)  # the peer exits 1 when a post hook fails
    shutil.rmtree(package.parent / ".ruff_cache", ignore_errors=True)
    return ours_parent, package, {"peer_generate_exit_code": peer.returncode}


def run(repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        ours_parent, package, notes = generate(tmp)
        ours_tree = ours_parent / OUR_NAME
        compile_errors = {
            "ours": compile_tree(ours_tree),
            "peer": [str(Path(p).relative_to(package)) for p in compile_tree(package)],
        }

        kinds: dict[str, tuple[Path, str, str]] = {
            name: (ours_parent, OURS_CORE, statement) for name, statement in OURS_KINDS.items()
        }
        for name, (first, second) in peer_kinds(package.name).items():
            kinds[name] = (package.parent, first, second)
        names = list(kinds)

        for name in names:  # warm-up: writes any bytecode cache still missing
            run_import(*kinds[name])
        pyc_before = count_pyc(ours_tree, package)

        samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        for index in range(repeats):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(run_import(*kinds[name]))
        pyc_written = count_pyc(ours_tree, package) - pyc_before

        def median_ms(name: str, key: str) -> float:
            return ms([sample[key] for sample in samples[name]])

        core = median_ms("ours_connector", "first")
        connector = median_ms("ours_connector", "second")
        one_model = median_ms("ours_one_model", "second")
        all_models = median_ms("ours_all_models", "second")
        peer_cold = median_ms("peer_models_cold", "second")
        peer_deps = median_ms("peer_models_after_deps", "first")
        peer_after = median_ms("peer_models_after_deps", "second")
        cold_ours = ms(
            [s["first"] + s["second"] for s in samples["ours_connector"]]
        )  # core + connector, same process
        ours_models = int(samples["ours_all_models"][0]["count"])
        peer_models = int(samples["peer_models_cold"][0]["count"])
        return {
            "repeats": repeats,
            "median_ms": {
                "ours_core": core,
                "ours_connector_after_core": connector,
                "ours_core_plus_connector": cold_ours,
                "ours_one_model_after_core": one_model,
                "ours_all_models_after_core": all_models,
                "peer_deps_httpx_attrs": peer_deps,
                "peer_models_cold": peer_cold,
                "peer_models_after_deps": peer_after,
            },
            "ratios": {
                "peer_models_cold_over_ours_core_plus_connector": round(peer_cold / cold_ours, 2),
                "peer_models_after_deps_over_ours_connector_after_core": round(
                    peer_after / connector, 1
                ),
                "peer_models_after_deps_over_ours_all_models_after_core": round(
                    peer_after / all_models, 2
                ),
            },
            "samples_ms": {
                name: [round(sample["second"] * 1000, 1) for sample in samples[name]]
                for name in names
            },
            "models_counted": {"ours": ours_models, "peer": peer_models},
            "median_us_per_model": {
                "ours_all_models_after_core": round(all_models * 1000 / ours_models),
                "peer_models_after_deps": round(peer_after * 1000 / peer_models),
            },
            "peer_package": package.name,
            "compile_errors": compile_errors,
            "pyc_written_during_timed_runs": pyc_written,
            **notes,
            "python": platform.python_version(),
            "peer_version": PEER_VERSION,
            "connectory_git": git_state(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    skip_if_needed()
    emit(run(args.repeats), args.json)


if __name__ == "__main__":
    main()
