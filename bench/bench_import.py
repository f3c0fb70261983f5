"""Import time of a generated connector, against openapi-python-client's client and httpx+attrs.

For GitHub (845 operations) and Stripe (452 operations, the larger package), both
generators make a package from the full spec (untimed): ours with ``connectory generate
--spec``, the peer with its default config (GitHub) or ``literal_enums: true`` (Stripe,
where its default config crashes). Both trees are byte-compiled (``python -m compileall``).

Every figure is a fresh Python process (PYTHONDONTWRITEBYTECODE removed, so cached bytecode
is used as in a user's install), timed inside with ``time.perf_counter()`` around the
import statements only (interpreter start-up excluded):

- ``deps``: ``import httpx, attrs`` (what any httpx+attrs client starts from);
- ``ours_core``: ``import connectory.core``;
- ``ours_<spec>``: ``import connectory.core``, then the generated package and its
  connector class (models load on first use);
- ``peer_<spec>``: the peer's ``AuthenticatedClient`` and the endpoint module of a list
  call (``GET /orgs/{org}/repos``, ``GET /v1/customers``), which imports its models.

One untimed process of each kind, then `--repeats` rounds, the order rotated each round;
medians, min-max, and ratios per round. Goal: ours at most 1.3x ``deps``, and flat in the
size of the spec (Stripe's within 10 % of GitHub's). Also ``python -X importtime -c
"import connectory.core"`` once: the modules with the most own import time.

    python bench/bench_import.py [--repeats 7] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from _peer import (
    CONNECTORY,
    PEER,
    PEER_VERSION,
    PYTHON,
    SPECS,
    child_env,
    emit,
    git_state,
    peer_package,
    run_child,
    skip_if_needed,
)
from _stats import loadavg, machine, ratio_summary, summary

CHILD = """
import json, sys, time
sys.path.insert(0, {path!r})
t0 = time.perf_counter()
{code}
t1 = time.perf_counter()
print(json.dumps({{"seconds": t1 - t0, "dont_write_bytecode": sys.dont_write_bytecode}}))
"""

# (label, spec file, our package name, peer config, the peer endpoint's url and method)
SPECS_MEASURED = (
    ("github", "github.json", "github_full", None, "/orgs/{org}/repos"),
    ("stripe", "stripe.json", "stripe_full", "literal_enums: true\n", "/v1/customers"),
)


def smallest_spec() -> Path:
    return min((SPECS / "business").glob("*.json"), key=lambda p: p.stat().st_size)


def generate(tmp: Path, label: str, spec: Path, name: str, config: str | None) -> tuple[Path, Path]:
    """Our package's parent folder and the peer's package folder (untimed)."""
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    ours_parent = tmp / "ours"
    argv = [str(CONNECTORY), "generate", "--spec", str(spec), "--name", name]
    argv += ["--out", str(ours_parent), "--report", str(tmp / f"{name}.json")]
    run = run_child(argv, logs / f"{name}.out", logs / f"{name}.err", tmp)
    if run.returncode != 0:
        raise RuntimeError((logs / f"{name}.err").read_text(encoding="utf-8")[-3000:])
    out = tmp / f"peer_{label}"
    argv = [str(PEER), "generate", "--path", str(spec), "--output-path", str(out), "--overwrite"]
    if config is not None:
        (tmp / f"{label}.yaml").write_text(config, encoding="utf-8")
        argv += ["--config", str(tmp / f"{label}.yaml")]
    run_child(argv, logs / f"peer_{label}.out", logs / f"peer_{label}.err", tmp)
    package = peer_package(out)  # it exits 1 when its ruff hook fails; the package is there
    shutil.rmtree(package.parent / ".ruff_cache", ignore_errors=True)
    for tree in (ours_parent / name, package):
        subprocess.run(  # noqa: S603 - fixed argv
            [PYTHON, "-m", "compileall", "-q", str(tree)],
            capture_output=True,
            check=False,
            env=child_env(),
        )
    return ours_parent, package


def peer_code(package: Path, url: str) -> str:
    modules = sorted(p for p in (package / "api").glob("*/*.py") if p.name != "__init__.py")
    chosen = next(
        (
            p
            for p in modules
            if f'"url": "{url}"' in (text := p.read_text(encoding="utf-8"))
            and '"method": "get"' in text
        ),
        modules[0],
    )
    module = ".".join(chosen.relative_to(package.parent).with_suffix("").parts)
    return f"from {package.name} import AuthenticatedClient\nimport {module}"


def ours_code(name: str) -> str:
    return (
        "import connectory.core\n"
        f"import {name}\n"
        f"connector = [getattr({name}, n) for n in {name}.__all__ if n.endswith('Connector')]\n"
        "assert connector"
    )


def run_import(path: Path, code: str) -> float:
    script = CHILD.format(path=str(path), code=code)
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
    result = json.loads(completed.stdout.splitlines()[-1])
    if result["dont_write_bytecode"]:
        raise RuntimeError("the child ran with sys.dont_write_bytecode set")
    return float(result["seconds"]) * 1000


def importtime_top(count: int = 10) -> list[dict[str, object]]:
    """The modules with the most own import time under ``import connectory.core``."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter
        [PYTHON, "-X", "importtime", "-c", "import connectory.core"],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(),
    )
    rows = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append({"module": name.strip(), "own_us": int(own), "cumulative_us": int(cumulative)})
    rows.sort(key=lambda row: -int(str(row["own_us"])))
    return rows[:count]


def run(repeats: int, smoke: bool) -> dict[str, object]:
    load_start = loadavg()
    measured: tuple[tuple[str, str, str, str | None, str], ...] = SPECS_MEASURED
    if smoke:
        tiny = smallest_spec()
        measured = (("tiny", tiny.name, "tiny_pkg", None, "/"),)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        kinds: dict[str, tuple[Path, str]] = {"deps": (tmp, "import httpx, attrs")}
        kinds["ours_core"] = (tmp, "import connectory.core")
        for label, spec_file, name, config, url in measured:
            ours_parent, package = generate(
                tmp, label, SPECS / "business" / spec_file, name, config
            )
            kinds[f"ours_{label}"] = (ours_parent, ours_code(name))
            kinds[f"peer_{label}"] = (package.parent, peer_code(package, url))
        names = list(kinds)
        for name in names:  # warm-up: any bytecode cache still missing is written
            run_import(*kinds[name])
        samples: dict[str, list[float]] = {name: [] for name in names}
        for index in range(repeats):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(run_import(*kinds[name]))
    labels = [m[0] for m in measured]
    ratios: dict[str, object] = {}
    for label in labels:
        ratios[f"ours_{label}_over_deps"] = ratio_summary(samples[f"ours_{label}"], samples["deps"])
        ratios[f"peer_{label}_over_ours_{label}"] = ratio_summary(
            samples[f"peer_{label}"], samples[f"ours_{label}"]
        )
    if "stripe" in labels:
        ratios["ours_stripe_over_ours_github"] = ratio_summary(
            samples["ours_stripe"], samples["ours_github"]
        )
    return {
        "benchmark": "import",
        "repeats": repeats,
        "specs": {m[0]: m[1] for m in measured},
        "code": {name: code for name, (_, code) in kinds.items()},
        "ms": {name: summary(values) for name, values in samples.items()},
        "ratios": ratios,
        "importtime_connectory_core": importtime_top(),
        "python": platform.python_version(),
        "peer_version": PEER_VERSION,
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "connectory_git": git_state(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="the smallest spec, one round")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    skip_if_needed()
    if args.smoke:
        args.repeats = 1
    emit(run(args.repeats, args.smoke), args.json)


if __name__ == "__main__":
    main()
