"""Run every benchmark and rewrite BENCHMARKS.md from the results: ``python -m bench``.

Each benchmark is a script in this folder, run as a child process with ``--json``; its
result is stored in ``bench/results/<name>.json`` with the exact command, the date and the
duration, and BENCHMARKS.md is rendered from all stored results (bench/_report.py), so
every figure, ratio and goal verdict in it comes from a measurement, not from typing.

    python -m bench                       # every benchmark (about an hour and a half)
    python -m bench --only pipeline,import   # these again; the others keep their results
    python -m bench --smoke               # every benchmark at tiny sizes; writes nothing
    python -m bench --render              # re-render BENCHMARKS.md from bench/results/
    python -m bench --list                # the benchmarks and their commands
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from _report import render  # noqa: E402 - the scripts' folder is not a package


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: list[str] = field(default_factory=list)
    smoke: list[str] = field(default_factory=lambda: ["--smoke"])
    timeout_s: float = 3600.0
    smoke_s: float = 10.0  # about how long its smoke run takes: the longest start first


BENCHMARKS = (
    Benchmark("generate", "bench_generate.py", ["--rounds", "3"]),
    # mypy over the 132 packages is a correctness check, not a figure against the peer.
    Benchmark(
        "corpus",
        "bench_corpus.py",
        ["--skip-mypy", "--timeout", "1200"],
        timeout_s=4 * 3600.0,
    ),
    Benchmark("pipeline", "bench_pipeline.py", ["--requests", "1000", "--rounds", "9"]),
    Benchmark("throughput", "bench_throughput.py", ["--requests", "10000", "--tasks", "100"]),
    Benchmark(
        "decode",
        "bench_decode.py",
        ["--rounds", "15", "--items", "1000"],
        smoke=["--rounds", "1", "--items", "10"],
        smoke_s=45.0,
    ),
    Benchmark("import", "bench_import.py", ["--repeats", "7"]),
    Benchmark("ratelimit", "bench_ratelimit.py", ["--seconds", "10"]),
    Benchmark("state", "bench_state.py", ["--iterations", "2000", "--repeats", "7"]),
    Benchmark("stream", "bench_stream.py", ["--items", "1000000", "--per-page", "100"]),
    Benchmark("install", "bench_install.py", ["--rounds", "2", "--starts", "5"], smoke_s=25.0),
)
BY_NAME = {b.name: b for b in BENCHMARKS}


def command(bench: Benchmark, smoke: bool) -> list[str]:
    return [f"bench/{bench.script}", *(bench.smoke if smoke else bench.args)]


def echo(stream: IO[str], tail: deque[str], name: str) -> None:
    for line in stream:
        sys.stderr.write(f"   {name} | {line}")
        tail.append(line.rstrip("\n"))


def run_one(bench: Benchmark, smoke: bool, out: Path) -> dict[str, object]:
    """Run one benchmark; its stored record (the result, or why there is none)."""
    argv = command(bench, smoke)
    json_path = out.with_suffix(".tmp")
    json_path.unlink(missing_ok=True)
    started = time.time()
    print(f"== {bench.name}: python {' '.join(argv)}", file=sys.stderr, flush=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    record: dict[str, object] = {
        "name": bench.name,
        "command": "python " + " ".join(argv),
        "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
        "smoke": smoke,
    }
    # The child's stderr (its progress) is echoed as it comes; its last lines are kept.
    tail: deque[str] = deque(maxlen=40)
    with tempfile.TemporaryFile() as stdout:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            [sys.executable, *argv, "--json", str(json_path)],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        assert child.stderr is not None
        reader = threading.Thread(target=echo, args=(child.stderr, tail, bench.name), daemon=True)
        reader.start()
        try:
            code: int | str = child.wait(timeout=bench.timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            code = f"timed out after {bench.timeout_s:.0f} s"
        reader.join(timeout=10)
        stdout.seek(0)
        printed = stdout.read().decode("utf-8", "replace")
    errors = "\n".join(tail)
    record["seconds"] = round(time.time() - started, 1)
    record["exit_code"] = code
    if code == 0 and json_path.is_file():
        record["result"] = json.loads(json_path.read_text(encoding="utf-8"))
        json_path.unlink()
    elif code == 0 and printed.startswith("SKIPPED"):
        record["skipped"] = printed.strip()
    else:
        lines = [line for line in (errors or printed).strip().splitlines() if line.strip()]
        # Tool output may name download locations: results keep no URL.
        error = URL.sub("<url>", "\n".join(lines[-6:]))
        record["error"] = error or f"exit {code}, no output"
        json_path.unlink(missing_ok=True)
    state = "ok" if "result" in record else ("skipped" if "skipped" in record else "FAILED")
    print(f"   {bench.name}: {state} in {record['seconds']} s", file=sys.stderr, flush=True)
    if state == "FAILED":
        print(f"   {record['error']}", file=sys.stderr, flush=True)
    return record


def load_results() -> dict[str, dict[str, object]]:
    records: dict[str, dict[str, object]] = {}
    for bench in BENCHMARKS:
        path = RESULTS / f"{bench.name}.json"
        if path.is_file():
            records[bench.name] = json.loads(path.read_text(encoding="utf-8"))
    return records


def write_report() -> None:
    text = render(load_results(), [b.name for b in BENCHMARKS])
    (REPO / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    print(f"wrote {REPO / 'BENCHMARKS.md'}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--only", help="comma-separated benchmark names (see --list)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; writes nothing")
    parser.add_argument("--render", action="store_true", help="only re-render BENCHMARKS.md")
    parser.add_argument("--list", action="store_true", help="the benchmarks and their commands")
    args = parser.parse_args()
    if args.list:
        for bench in BENCHMARKS:
            print(f"{bench.name:<11} python {' '.join(command(bench, False))}")
        return 0
    if args.render:
        write_report()
        return 0
    chosen = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(names) - set(BY_NAME))
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
        chosen = [BY_NAME[n] for n in names]
    started = time.perf_counter()
    if args.smoke:
        # Smoke runs measure nothing, so two run at a time (this machine has two cores).
        with (
            tempfile.TemporaryDirectory(prefix="bench-smoke-") as tmp,
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            chosen.sort(key=lambda b: -b.smoke_s)
            records = list(
                pool.map(lambda b: run_one(b, True, Path(tmp) / f"{b.name}.json"), chosen)
            )
        failed = [r["name"] for r in records if "error" in r]
        took = time.perf_counter() - started
        print(f"smoke: {len(records) - len(failed)} of {len(records)} ran in {took:.0f} s")
        if failed:
            print(f"smoke: FAILED: {', '.join(map(str, failed))}")
        return 1 if failed else 0
    RESULTS.mkdir(exist_ok=True)
    for bench in chosen:
        path = RESULTS / f"{bench.name}.json"
        record = run_one(bench, False, path)
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        write_report()  # after each: a long run leaves a current report at every step
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
