"""The whole business corpus: connectory against openapi-python-client, in one run.

For every spec in `../shared/specs/business/*.json` (132 specs, 30,222 operations):

1. ours: `connectory generate --spec SPEC --name NAME --out <tmp>/ours --report
   <tmp>/reports/NAME.json` as a child process (NAME: the file stem as a Python
   identifier, `c_` in front when it starts with a digit);
2. peer: `openapi-python-client generate --path SPEC --output-path <tmp>/peer/NAME
   --overwrite`, with its default config and with a config file holding
   `literal_enums: true`. The peer's output is deleted after each run (only its exit
   status and log are kept).

The three commands run one spec after the other, their order rotated from one spec to the
next, so the machine's noise falls on all of them alike. Each run's figures: wall time, and
CPU time and peak RSS from the child's `os.wait4` rusage (descendants it waited for, such
as ruff, included; peak RSS is that of the largest single process). Children run with the
venv's bin first on PATH and without PYTHONDONTWRITEBYTECODE (see `_peer.child_env`).

Then, for our packages only:

3. import: byte-compile the package (`python -m compileall -q`), then in a child process
   with `<tmp>/ours` on sys.path, import it, getattr every name of its `__all__` and of
   `<pkg>.models.__all__`; every failure is recorded with its exception;
4. type check: `python -m mypy --strict` over the packages, in chunks (microsoft-graph
   alone) with a shared `--cache-dir`, `MYPYPATH` pointing at the connectory sources so
   `connectory.core` resolves; errors are attributed to packages by file path.

The connectory sources measured are a snapshot of the working tree taken at the start
(`connectory/`, `core/`, `generator/`, `templates/`, `generated/` copied to
`<tmp>/src`, put first on PYTHONPATH and MYPYPATH), so that edits made to the working tree
during the run do not mix versions; `--tree` uses the working tree itself instead.

Prints a JSON summary (also written with --json): per-spec results and totals, failures of
ours, the peer's crashes and warned-about operations (distinct `WARNING parsing <METHOD>
<path>` pairs on its stderr). Skips (exit 0) when `../shared/specs` is absent.

    python bench/bench_corpus.py [--only NAME ...] [--skip-peer] [--skip-mypy]
        [--chunk 12] [--json out.json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import keyword
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _peer import (
    CONNECTORY,
    PEER,
    PEER_VERSION,
    PYTHON,
    REPO,
    SPECS,
    ChildRun,
    child_env,
    emit,
    git_state,
    run_child,
    skip_if_needed,
)
from _stats import machine

CORPUS = SPECS / "business"
GRAPH = "microsoft_graph"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
SOURCE_DIRS = ("src", "core", "generator", "templates", "generated")
VARIANTS = ("ours", "peer_default", "peer_literal_enums")
PEER_VARIANTS = VARIANTS[1:]
# A generous bound on any one child, so that a hang cannot stall the run.
TIMEOUT_S = 3600.0

# A line of mypy's output, "pkg/data.py:12: error: ...  [code]" (a column may follow).
MYPY_LINE_RE = re.compile(r"^(?P<path>[^:\n]+?):(?:\d+:)*\s*(?P<severity>error|note): (?P<msg>.*)$")
MYPY_CODE_RE = re.compile(r"\[(?P<code>[a-z0-9-]+)\]$")
TRACEBACK = "Traceback (most recent call last)"
PEER_NOT_CREATED = "client was not created"
# A failed post hook: "ruff failed", a blank line, then its first line of output.
# The exception ending a traceback (the peer prints rich tracebacks, in a box).
EXCEPTION_RE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b")
# The peer's fatal parse error: the header, a blank line, then the detail.
PARSE_FAILED_RE = re.compile(r"^Failed to parse OpenAPI document\n+(.*)\n(.*)\n(.*)$", re.M)
HOOK_FAILED_RE = re.compile(r"^(\S[^\n]* failed)\n+([^\n]*)$", re.MULTILINE)

IMPORT_CHILD = """
import importlib, json, sys, time
sys.path.insert(0, {root!r})
failures = []
counts = {{"package_all": 0, "models_all": 0}}

def fail(what, exc):
    failures.append({{"name": what, "error": f"{{type(exc).__name__}}: {{exc}}"[:400]}})

def walk(module_name, key):
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        fail(module_name, exc)
        return None
    names = getattr(module, "__all__", None)
    if names is None:
        fail(module_name + ".__all__", AttributeError("no __all__"))
        return module
    counts[key] = len(names)
    for name in names:
        try:
            getattr(module, name)
        except Exception as exc:
            fail(module_name + "." + name, exc)
    return module

start = time.perf_counter()
package = walk({name!r}, "package_all")
walk({name!r} + ".models", "models_all")
elapsed = time.perf_counter() - start
import connectory
print(json.dumps({{
    "seconds": elapsed,
    "failures": failures,
    "counts": counts,
    "package_file": getattr(package, "__file__", None),
    "connectory_file": connectory.__file__,
    "dont_write_bytecode": sys.dont_write_bytecode,
}}))
"""


def set_timeout(seconds: float) -> None:
    """The bound on any one child (a peer run on microsoft-graph takes minutes)."""
    global TIMEOUT_S
    TIMEOUT_S = seconds


def package_name(stem: str) -> str:
    """The file stem as a Python identifier: `google-drive` -> `google_drive`."""
    name = re.sub(r"\W", "_", stem.lower())
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"c_{name}"
    return name


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def timing(run: ChildRun) -> dict[str, object]:
    return {
        "wall_s": round(run.wall_s, 2),
        "cpu_s": round(run.cpu_s, 2),
        "max_rss_mb": round(run.max_rss_mb, 1),
        "exit_code": run.returncode,
        "timed_out": run.timed_out,
    }


def progress(message: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S')} load {load}] {message}", file=sys.stderr, flush=True)


@dataclass
class Case:
    stem: str
    name: str
    spec: Path
    spec_operations: int
    runs: dict[str, ChildRun] = field(default_factory=dict)
    report: dict[str, object] | None = None
    generate_error: str | None = None
    peer: dict[str, dict[str, object]] = field(default_factory=dict)
    package_bytes: int = 0
    compile_errors: list[str] = field(default_factory=list)
    import_run: ChildRun | None = None
    import_result: dict[str, object] | None = None
    import_error: str | None = None
    mypy_status: str | None = None  # "pass", "fail", "crash"
    mypy_errors: list[str] = field(default_factory=list)
    mypy_chunk: int | None = None

    @property
    def generated(self) -> bool:
        run = self.runs.get("ours")
        return run is not None and run.returncode == 0 and self.report is not None

    @property
    def imported(self) -> bool:
        return (
            self.generated
            and not self.compile_errors
            and self.import_error is None
            and self.import_result is not None
            and not self.import_result["failures"]
        )


COUNT_CHILD = """
import json, sys
methods = set(sys.argv[1].split(","))
counts = {}
for name in sys.argv[2:]:
    with open(name, encoding="utf-8") as file:
        paths = json.load(file).get("paths") or {}
    counts[name] = sum(
        1 for item in paths.values() if isinstance(item, dict) for m in item if m in methods
    )
print(json.dumps(counts))
"""


def spec_operations(specs: list[Path]) -> dict[str, int]:
    """Operations per spec (path items times HTTP methods), counted in a child process.

    The parent must not load the specs itself: its peak RSS (microsoft-graph is 20 MB of
    JSON) would become the floor of every child's measured peak RSS (see `run_child`).
    """
    argv = [PYTHON, "-c", COUNT_CHILD, ",".join(sorted(HTTP_METHODS)), *map(str, specs)]
    completed = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603
    counts: dict[str, int] = json.loads(completed.stdout)
    return counts


def select_cases(only: Sequence[str] | None) -> list[Case]:
    specs = sorted(CORPUS.glob("*.json"))
    wanted = set(only or ())
    chosen = [
        spec
        for spec in specs
        if not wanted or spec.stem in wanted or package_name(spec.stem) in wanted
    ]
    counts = spec_operations(chosen)
    cases = [Case(s.stem, package_name(s.stem), s, counts[str(s)]) for s in chosen]
    known = {c.stem for c in cases} | {c.name for c in cases}
    unknown = sorted(wanted - known)
    if unknown:
        raise SystemExit(f"not in {CORPUS}: {', '.join(unknown)}")
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit(f"two specs map to one package name: {sorted(names)}")
    return cases


# -- the sources measured -------------------------------------------------------------


def snapshot_sources(target: Path) -> dict[str, object]:
    """Copy connectory's source folders into `target`; return a fingerprint of them."""
    digest = hashlib.sha1(usedforsecurity=False)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for folder in SOURCE_DIRS:
        shutil.copytree(REPO / folder, target / folder, symlinks=True, ignore=ignore)
    for path in sorted(target.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    return {"sources": str(target), "sha1": digest.hexdigest()[:12]}


def sources_status() -> list[str]:
    """`git status --short` for the source folders: what the snapshot holds beyond HEAD."""
    completed = subprocess.run(  # noqa: S603
        ["git", "status", "--short", "--", *SOURCE_DIRS],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout.splitlines()


def env_with(sources: Path | None, **extra: str) -> dict[str, str]:
    env = child_env()
    if sources is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(sources / "src"), *filter(None, [env.get("PYTHONPATH", "")])]
        )
    env.update(extra)
    return env


def check_sources(sources: Path | None, tmp: Path) -> str:
    """Where the children import connectory from (the snapshot, unless --tree)."""
    completed = subprocess.run(  # noqa: S603
        [PYTHON, "-c", "import connectory.generator as g; print(g.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=env_with(sources),
        cwd=tmp,
    )
    location = completed.stdout.strip()
    if sources is not None and not location.startswith(str(sources)):
        raise RuntimeError(f"children import connectory from {location}, not {sources}")
    return location


# -- generation, alternating ------------------------------------------------------------


def ours_argv(case: Case, tmp: Path) -> list[str]:
    return [
        str(CONNECTORY),
        "generate",
        "--spec",
        str(case.spec),
        "--name",
        case.name,
        "--out",
        str(tmp / "ours"),
        "--report",
        str(tmp / "reports" / f"{case.name}.json"),
    ]


def peer_argv(case: Case, out_dir: Path, config: Path | None) -> list[str]:
    argv = [str(PEER), "generate", "--path", str(case.spec), "--output-path", str(out_dir)]
    argv.append("--overwrite")
    if config is not None:
        argv += ["--config", str(config)]
    return argv


@dataclass
class PeerLog:
    warned: set[tuple[str, str]]
    dropped: set[tuple[str, str]]
    traceback: str | None
    not_created: bool
    parse_failed: str | None
    hooks_failed: list[str]


def exception_text(log: str) -> str:
    """The exception a traceback ends with, its continuation lines joined."""
    lines = log.split(TRACEBACK)[-1].splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if EXCEPTION_RE.match(lines[index]):
            return " ".join(line.strip() for line in lines[index:] if line.strip())[:400]
    return last_line(log)


def parse_peer_log(log: str) -> PeerLog:
    """The peer's output: warned-about operations, errors, tracebacks, failed post hooks.

    A warning block starts `WARNING parsing <METHOD> <path> within <tags>.`, with
    ` Endpoint will not be generated.` after it when the endpoint is dropped.
    """
    warned: set[tuple[str, str]] = set()
    dropped: set[tuple[str, str]] = set()
    for line in log.splitlines():
        if not line.startswith("WARNING parsing "):
            continue
        method, _, rest = line.removeprefix("WARNING parsing ").partition(" ")
        path = rest.split(" within ", 1)[0]
        warned.add((method, path))
        if line.endswith("Endpoint will not be generated."):
            dropped.add((method, path))
    parse_failed = PARSE_FAILED_RE.search(log)
    return PeerLog(
        warned=warned,
        dropped=dropped,
        traceback=exception_text(log) if TRACEBACK in log else None,
        not_created=PEER_NOT_CREATED in log,
        parse_failed=" / ".join(g.strip() for g in parse_failed.groups()) if parse_failed else None,
        hooks_failed=sorted({f"{hook}: {first}" for hook, first in HOOK_FAILED_RE.findall(log)}),
    )


def run_peer(case: Case, variant: str, tmp: Path, config: Path | None) -> None:
    out_dir = tmp / "peer" / f"{case.name}-{variant}"
    logs = tmp / "logs"
    stdout = logs / f"{case.name}.{variant}.stdout"
    stderr = logs / f"{case.name}.{variant}.stderr"
    argv = peer_argv(case, out_dir, config)
    run = run_child(argv, stdout, stderr, tmp, env_with(None), TIMEOUT_S)
    case.runs[variant] = run
    log = read(stderr) + "\n" + read(stdout)
    parsed = parse_peer_log(log)
    written = any(out_dir.glob("*/__init__.py"))
    shutil.rmtree(out_dir, ignore_errors=True)
    crash: str | None = None
    if run.timed_out:
        crash = f"timed out after {TIMEOUT_S:.0f} s"
    elif parsed.traceback is not None:
        crash = f"traceback: {parsed.traceback}"
    elif run.returncode != 0:
        # The peer prints "client was not created" also when only a post hook failed.
        if parsed.hooks_failed:
            crash = "post hook failed: " + "; ".join(parsed.hooks_failed)
        elif parsed.parse_failed:
            crash = f"Failed to parse OpenAPI document: {parsed.parse_failed}"
        elif parsed.not_created:
            crash = f"client not created: {last_line(read(stderr))}"
        else:
            crash = f"exit {run.returncode}: {last_line(log)}"
    case.peer[variant] = {
        **timing(run),
        "crash": crash,
        "package_written": written,
        "operations_warned": len(parsed.warned),
        "operations_not_generated": len(parsed.dropped),
    }


def run_ours(case: Case, tmp: Path, sources: Path | None) -> None:
    stdout = tmp / "logs" / f"{case.name}.ours.stdout"
    stderr = tmp / "logs" / f"{case.name}.ours.stderr"
    run = run_child(ours_argv(case, tmp), stdout, stderr, tmp, env_with(sources), TIMEOUT_S)
    case.runs["ours"] = run
    report = tmp / "reports" / f"{case.name}.json"
    if run.returncode != 0:
        case.generate_error = last_line(read(stderr)) or f"exit {run.returncode}"
        if run.timed_out:
            case.generate_error = f"timed out after {TIMEOUT_S:.0f} s"
    elif not report.is_file():
        case.generate_error = "exit 0 but no report written"
    else:
        case.report = json.loads(report.read_text(encoding="utf-8"))
        package = tmp / "ours" / case.name
        case.package_bytes = sum(p.stat().st_size for p in package.rglob("*.py"))


def generate_all(
    cases: list[Case], tmp: Path, sources: Path | None, with_peer: bool
) -> dict[str, object]:
    config = tmp / "peer-literal.yaml"
    config.write_text("literal_enums: true\n", encoding="utf-8")
    variants = list(VARIANTS if with_peer else VARIANTS[:1])
    started = time.perf_counter()
    load_before = os.getloadavg()
    for index, case in enumerate(cases):
        shift = index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            if variant == "ours":
                run_ours(case, tmp, sources)
            else:
                run_peer(case, variant, tmp, config if variant == "peer_literal_enums" else None)
        summary = "  ".join(
            f"{v} {case.runs[v].wall_s:.1f}s/{case.runs[v].max_rss_mb:.0f}MB"
            f"{'' if case.runs[v].returncode == 0 else f' exit {case.runs[v].returncode}'}"
            for v in variants
        )
        progress(f"generate {index + 1}/{len(cases)} {case.name}: {summary}")
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


# -- imports ------------------------------------------------------------------------------


def compile_package(case: Case, tmp: Path) -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed argv
        [PYTHON, "-m", "compileall", "-q", str(tmp / "ours" / case.name)],
        capture_output=True,
        text=True,
        check=False,
        env=env_with(None),
    )
    case.compile_errors = [
        line.removeprefix("*** Error compiling ").strip("'.")
        for line in completed.stdout.splitlines()
        if line.startswith("*** Error compiling")
    ]
    if completed.returncode != 0 and not case.compile_errors:
        case.compile_errors = [last_line(completed.stdout + completed.stderr)]


def import_package(case: Case, tmp: Path, sources: Path | None) -> None:
    root = tmp / "ours"
    script = IMPORT_CHILD.format(root=str(root), name=case.name)
    stdout = tmp / "logs" / f"{case.name}.import.stdout"
    stderr = tmp / "logs" / f"{case.name}.import.stderr"
    run = run_child([PYTHON, "-c", script], stdout, stderr, tmp, env_with(sources), TIMEOUT_S)
    case.import_run = run
    output = read(stdout)
    if run.returncode != 0 or not output.strip():
        case.import_error = last_line(read(stderr)) or f"exit {run.returncode}"
        return
    result: dict[str, object] = json.loads(output.splitlines()[-1])
    package_file = str(result["package_file"])
    if not package_file.startswith(str(root / case.name)):
        case.import_error = f"imported {case.name} from {package_file}, not {root}"
    if result["dont_write_bytecode"]:
        case.import_error = "the child ran with sys.dont_write_bytecode set"
    case.import_result = result


def import_all(cases: list[Case], tmp: Path, sources: Path | None) -> dict[str, object]:
    started = time.perf_counter()
    generated = [c for c in cases if c.generated]
    connectory_files: set[str] = set()
    for index, case in enumerate(generated):
        compile_package(case, tmp)
        import_package(case, tmp, sources)
        if case.import_result is not None:
            connectory_files.add(str(case.import_result["connectory_file"]))
        failures = case.import_result["failures"] if case.import_result else None
        state = "ok" if case.imported else f"FAILED {case.import_error or failures}"
        progress(f"import {index + 1}/{len(generated)} {case.name}: {state}")
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "connectory_imported_from": sorted(connectory_files),
    }


# -- mypy ------------------------------------------------------------------------------


@dataclass
class Chunk:
    index: int
    names: list[str]
    run: ChildRun | None = None
    errors: int = 0
    note: str | None = None


def plan_chunks(cases: list[Case], size: int) -> list[list[str]]:
    """microsoft-graph alone; the rest in name order, `size` packages per chunk."""
    names = [c.name for c in cases]
    alone = [[n] for n in names if n == GRAPH]
    rest = [n for n in names if n != GRAPH]
    return [rest[i : i + size] for i in range(0, len(rest), size)] + alone


def mypy_argv(names: Iterable[str], cache: Path) -> list[str]:
    return [PYTHON, "-m", "mypy", "--strict", "--cache-dir", str(cache), *names]


def parse_mypy(output: str, names: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Error lines by package (first path part), and error lines of other files."""
    by_package: dict[str, list[str]] = {name: [] for name in names}
    other: list[str] = []
    for line in output.splitlines():
        match = MYPY_LINE_RE.match(line)
        if not match or match["severity"] != "error":
            continue
        package = Path(match["path"]).parts[0]
        by_package.get(package, other).append(line)
    return by_package, other


def run_mypy_chunk(
    chunk: Chunk, cases: dict[str, Case], tmp: Path, mypypath: Path
) -> list[list[str]]:
    """Check one chunk; return the chunks still to check.

    When errors stop mypy early ("errors prevented further checking"), the packages with
    errors fail and the others are checked again together; when mypy fails without
    naming a package (a crash), each package is checked again alone.
    """
    logs = tmp / "logs"
    stdout = logs / f"mypy-{chunk.index}.stdout"
    stderr = logs / f"mypy-{chunk.index}.stderr"
    env = env_with(None, MYPYPATH=str(mypypath))
    argv = mypy_argv(chunk.names, tmp / "mypy-cache")
    chunk.run = run_child(argv, stdout, stderr, tmp / "ours", env, TIMEOUT_S)
    output = read(stdout)
    by_package, other = parse_mypy(output, chunk.names)
    chunk.errors = sum(map(len, by_package.values())) + len(other)
    if other:
        chunk.note = f"{len(other)} errors outside the packages, first: {other[0]}"
    stopped = "errors prevented further checking" in output
    complete = chunk.run.returncode in (0, 1) and not stopped
    failed = [name for name in chunk.names if by_package[name]]
    for name in chunk.names if complete else failed:
        case = cases[name]
        case.mypy_chunk = chunk.index
        case.mypy_errors = by_package[name]
        case.mypy_status = "fail" if by_package[name] else "pass"
    if complete:
        return []
    reason = "blocking errors" if stopped else f"exit {chunk.run.returncode}"
    if chunk.run.timed_out:
        reason = "timed out"
    chunk.note = f"{reason}; {last_line(read(stderr) or output)}"
    unchecked = [name for name in chunk.names if name not in failed]
    if failed:
        return [unchecked] if unchecked else []
    if len(unchecked) == 1:  # a crash on one package: nothing more to split
        case = cases[unchecked[0]]
        case.mypy_chunk = chunk.index
        case.mypy_status = "crash"
        case.mypy_errors = [chunk.note]
        return []
    return [[name] for name in unchecked]


def mypy_all(cases: list[Case], tmp: Path, mypypath: Path, size: int) -> list[Chunk]:
    by_name = {c.name: c for c in cases}
    queue = plan_chunks([c for c in cases if c.generated], size)
    chunks: list[Chunk] = []
    while queue:
        names = queue.pop(0)
        chunk = Chunk(len(chunks), names)
        chunks.append(chunk)
        queue[:0] = run_mypy_chunk(chunk, by_name, tmp, mypypath)
        assert chunk.run is not None
        failed = [n for n in names if by_name[n].mypy_status not in (None, "pass")]
        progress(
            f"mypy chunk {chunk.index} ({len(names)} packages): {chunk.run.wall_s:.0f}s "
            f"{chunk.run.max_rss_mb:.0f}MB exit {chunk.run.returncode}, "
            f"{chunk.errors} errors, failing: {failed or 'none'}"
            + (f"; {chunk.note}" if chunk.note else "")
        )
    return chunks


# -- results ---------------------------------------------------------------------------


def add_counts(total: Counter[str], counts: object) -> None:
    if isinstance(counts, dict):
        for key, value in counts.items():
            total[str(key)] += int(value)


def report_int(report: dict[str, object], key: str) -> int:
    value = report[key]
    return len(value) if isinstance(value, list) else int(str(value))


def case_result(case: Case) -> dict[str, object]:
    ours: dict[str, object] = timing(case.runs["ours"]) if "ours" in case.runs else {}
    if case.report is not None:
        ours.update(
            {
                key: report_int(case.report, key)
                for key in (
                    "operations_total",
                    "operations_typed",
                    "operations_untyped",
                    "operations_degraded",
                )
            }
        )
        ours["reasons"] = case.report["reasons"]
        ours["untyped_reasons"] = case.report["untyped_reasons"]
        ours["package_mb"] = round(case.package_bytes / 2**20, 2)
    if case.generate_error:
        ours["generate_error"] = case.generate_error
    if case.import_run is not None:
        ours["import"] = {
            "wall_s": round(case.import_run.wall_s, 2),
            "max_rss_mb": round(case.import_run.max_rss_mb, 1),
            "ok": case.imported,
        }
        if case.import_result is not None:
            ours["import"]["names"] = case.import_result["counts"]  # type: ignore[index]
    if (
        case.compile_errors
        or case.import_error
        or (case.import_result and case.import_result["failures"])
    ):
        ours["import_failures"] = {
            "compile_errors": case.compile_errors,
            "error": case.import_error,
            "failures": case.import_result["failures"] if case.import_result else None,
        }
    if case.mypy_status is not None:
        ours["mypy"] = case.mypy_status
        ours["mypy_chunk"] = case.mypy_chunk
    if case.mypy_errors:
        codes = Counter(m["code"] for line in case.mypy_errors if (m := MYPY_CODE_RE.search(line)))
        ours["mypy_errors"] = len(case.mypy_errors)
        ours["mypy_error_codes"] = dict(codes.most_common())
        ours["mypy_first_errors"] = case.mypy_errors[:5]
    return {
        "spec": case.spec.name,
        "spec_operations": case.spec_operations,
        "ours": ours,
        **case.peer,
    }


def extreme(cases: list[Case], variant: str) -> dict[str, object]:
    runs = [(c.runs[variant].max_rss_mb, c.name) for c in cases if variant in c.runs]
    if not runs:
        return {}
    rss, name = max(runs)
    return {"max_rss_mb": round(rss, 1), "spec": name}


def variant_totals(cases: list[Case], variant: str) -> dict[str, object]:
    runs = [c.runs[variant] for c in cases if variant in c.runs]
    graph = next((c.runs[variant] for c in cases if c.name == GRAPH and variant in c.runs), None)
    return {
        "wall_s_total": round(sum(r.wall_s for r in runs), 1),
        "cpu_s_total": round(sum(r.cpu_s for r in runs), 1),
        "peak_rss": extreme(cases, variant),
        GRAPH: timing(graph) if graph else None,
    }


def summarize_ours(cases: list[Case], chunks: list[Chunk] | None) -> dict[str, object]:
    reports = [c.report for c in cases if c.report is not None]
    reasons: Counter[str] = Counter()
    untyped_reasons: Counter[str] = Counter()
    for report in reports:
        add_counts(reasons, report["reasons"])
        add_counts(untyped_reasons, report["untyped_reasons"])
    imports = [c.import_run for c in cases if c.import_run is not None]
    graph = next((c for c in cases if c.name == GRAPH), None)
    result: dict[str, object] = {
        "specs": len(cases),
        "specs_generated": sum(c.generated for c in cases),
        "specs_imported": sum(c.imported for c in cases),
        "specs_type_checked": sum(c.mypy_status == "pass" for c in cases)
        if chunks is not None
        else None,
        "operations": {
            key.removeprefix("operations_"): sum(report_int(r, key) for r in reports)
            for key in (
                "operations_total",
                "operations_typed",
                "operations_untyped",
                "operations_degraded",
            )
        },
        "reasons": dict(reasons.most_common()),
        "untyped_reasons": dict(untyped_reasons.most_common()),
        "generate": variant_totals(cases, "ours"),
        "import": {
            "wall_s_total": round(sum(r.wall_s for r in imports), 1),
            "max_rss_mb": round(max((r.max_rss_mb for r in imports), default=0.0), 1),
            GRAPH: {
                "wall_s": round(graph.import_run.wall_s, 2),
                "max_rss_mb": round(graph.import_run.max_rss_mb, 1),
            }
            if graph and graph.import_run
            else None,
        },
        "failures": {
            "generate": {c.name: c.generate_error for c in cases if c.generate_error},
            "import": {
                c.name: case_result(c)["ours"]["import_failures"]  # type: ignore[index]
                for c in cases
                if c.generated and not c.imported
            },
            "mypy": {
                c.name: {
                    "status": c.mypy_status,
                    "errors": len(c.mypy_errors),
                    "first": c.mypy_errors[:3],
                }
                for c in cases
                if c.mypy_status not in (None, "pass")
            },
        },
    }
    if chunks is not None:
        ran = [c for c in chunks if c.run is not None]
        graph_chunks = [c for c in ran if c.names == [GRAPH]]
        result["mypy"] = {
            "chunks": len(ran),
            "wall_s_total": round(sum(c.run.wall_s for c in ran if c.run), 1),
            "max_rss_mb": round(max((c.run.max_rss_mb for c in ran if c.run), default=0.0), 1),
            GRAPH: timing(graph_chunks[0].run) if graph_chunks and graph_chunks[0].run else None,
            "per_chunk": [
                {
                    "packages": c.names,
                    **(timing(c.run) if c.run else {}),
                    "errors": c.errors,
                    "note": c.note,
                }
                for c in ran
            ],
        }
    return result


def summarize_peer(cases: list[Case], variant: str) -> dict[str, object]:
    ran = [c for c in cases if variant in c.peer]
    operations = sum(c.spec_operations for c in ran)
    warned = sum(int(str(c.peer[variant]["operations_warned"])) for c in ran)
    not_generated = sum(int(str(c.peer[variant]["operations_not_generated"])) for c in ran)
    crashes = {c.name: c.peer[variant]["crash"] for c in ran if c.peer[variant]["crash"]}
    no_package = [c for c in ran if not c.peer[variant]["package_written"]]
    return {
        "specs": len(ran),
        "specs_exit_0": sum(c.runs[variant].returncode == 0 for c in ran),
        "crashes": len(crashes),
        "crashed_specs": crashes,
        "specs_without_package": [c.name for c in no_package],
        "operations_in_specs_without_package": sum(c.spec_operations for c in no_package),
        "spec_operations": operations,
        "operations_warned": warned,
        "operations_warned_share": round(warned / operations, 4) if operations else None,
        "operations_not_generated": not_generated,
        **variant_totals(cases, variant),
    }


def ratios(cases: list[Case], variant: str) -> dict[str, object]:
    """peer / ours: of the corpus totals, and the median of the per-spec ratios."""
    both = [c for c in cases if "ours" in c.runs and variant in c.runs and c.generated]
    if not both:
        return {}
    result: dict[str, object] = {}
    for key in ("wall_s", "cpu_s"):
        ours = sum(getattr(c.runs["ours"], key) for c in both)
        peer = sum(getattr(c.runs[variant], key) for c in both)
        result[f"{key.removesuffix('_s')}_total"] = round(peer / ours, 2)
        result[f"{key.removesuffix('_s')}_per_spec_median"] = round(
            statistics.median(
                getattr(c.runs[variant], key) / getattr(c.runs["ours"], key) for c in both
            ),
            2,
        )
    peak_ours = max(c.runs["ours"].max_rss_mb for c in both)
    peak_peer = max(c.runs[variant].max_rss_mb for c in both)
    result["max_rss"] = round(peak_peer / peak_ours, 2)
    result["rss_per_spec_median"] = round(
        statistics.median(c.runs[variant].max_rss_mb / c.runs["ours"].max_rss_mb for c in both), 2
    )
    result["specs_compared"] = len(both)
    return result


def run(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    cases = select_cases(args.only)
    for folder in ("ours", "peer", "reports", "logs"):
        (tmp / folder).mkdir()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_start = os.getloadavg()
    sources: Path | None = None
    fingerprint: dict[str, object] = {"sources": str(REPO)}
    status = sources_status()
    if not args.tree:
        sources = tmp / "src"
        fingerprint = snapshot_sources(sources)
    fingerprint["imported_from"] = check_sources(sources, tmp)
    fingerprint["uncommitted"] = status
    progress(
        f"{len(cases)} specs, {sum(c.spec_operations for c in cases)} operations; "
        f"sources {fingerprint}"
    )

    phases: dict[str, object] = {}
    phases["generate"] = generate_all(cases, tmp, sources, not args.skip_peer)
    phases["import"] = import_all(cases, tmp, sources)
    chunks: list[Chunk] | None = None
    if not args.skip_mypy:
        mypy_started = time.perf_counter()
        chunks = mypy_all(cases, tmp, (sources or REPO) / "src", args.chunk)
        phases["mypy"] = {"wall_s": round(time.perf_counter() - mypy_started, 1)}

    result: dict[str, object] = {
        "benchmark": "corpus",
        "timeout_s": TIMEOUT_S,
        "machine": machine(),
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "specs": len(cases),
        "spec_operations": sum(c.spec_operations for c in cases),
        "ours": summarize_ours(cases, chunks),
    }
    if not args.skip_peer:
        result["peer"] = {v: summarize_peer(cases, v) for v in PEER_VARIANTS}
        result["ratios_peer_over_ours"] = {v: ratios(cases, v) for v in PEER_VARIANTS}
    result.update(
        {
            "phases": phases,
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "per_spec": {c.name: case_result(c) for c in cases},
            "connectory_sources": fingerprint,
            "connectory_git": git_state(),
            "python": platform.python_version(),
            "peer_version": PEER_VERSION,
            "cpus": os.cpu_count(),
            # The floor of every child's measured peak RSS (see `_peer.run_child`).
            "parent_max_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="spec stems or package names")
    parser.add_argument("--skip-peer", action="store_true", help="ours only")
    parser.add_argument("--skip-mypy", action="store_true", help="no type check")
    parser.add_argument("--chunk", type=int, default=12, help="packages per mypy process")
    parser.add_argument(
        "--tree", action="store_true", help="run the working tree, not a snapshot of it"
    )
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument("--keep", help="work in this (new) folder and keep it")
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT_S, help="seconds before a child is killed"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="the smallest spec, no mypy: checks it runs"
    )
    args = parser.parse_args()
    skip_if_needed()
    set_timeout(args.timeout)
    if args.smoke:
        smallest = sorted(CORPUS.glob("*.json"), key=lambda p: p.stat().st_size)[:1]
        args.only = [p.stem for p in smallest]
        args.skip_mypy = True
        args.tree = True  # no snapshot: copying the sources takes longer than the run
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.json")):
        print(f"SKIPPED: {CORPUS} holds no specs")
        sys.exit(0)
    if args.keep:
        tmp = Path(args.keep).resolve()
        tmp.mkdir(parents=True)
        emit(run(args, tmp), args.json)
        return
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp_name:
        emit(run(args, Path(tmp_name)), args.json)


if __name__ == "__main__":
    main()
