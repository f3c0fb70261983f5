"""The contract run over the business corpus (and the shipped connectors), as one command.

    python -m tests.contract.corpus                     # every corpus spec: the full run
    python -m tests.contract.corpus --sample            # today's rotating CI sample
    python -m tests.contract.corpus --specs stripe box  # some specs
    python -m tests.contract.corpus --shipped           # the connectors of generated/

Each spec is generated from the whole of ``../shared/specs/business/<name>.json`` into a
temporary folder and checked operation by operation (`_harness`), in a child process of
its own (a spec's package, strategies and openapi-core state are dropped with it). The
figures go to ``docs/contract-corpus.md`` (``--report``) and, in full, to ``--json``.
``--examples`` sets the Hypothesis examples per response variant, ``--jobs`` the child
processes run at once (the default, 1, leaves the other core to the rest of the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._report import write_report
from ._run import corpus_specs, count_operations, run_subject, select_sample, today
from ._spec import CORPUS, ROOT, shipped_names

REPORT = ROOT / "docs" / "contract-corpus.md"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.contract.corpus", description=__doc__.split("\n")[0]
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--sample", action="store_true", help="today's rotating CI sample")
    what.add_argument("--specs", nargs="+", metavar="NAME", help="these corpus specs")
    what.add_argument("--shipped", action="store_true", help="the connectors of generated/")
    parser.add_argument("--day", type=int, default=None, help="the sample of this day number")
    parser.add_argument("--examples", type=int, default=2, help="examples per response variant")
    parser.add_argument("--jobs", type=int, default=1, help="child processes at once")
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help=f"markdown report (full run: {REPORT.relative_to(ROOT)})",
    )
    parser.add_argument("--json", type=Path, default=None, help="every summary, as JSON")
    parser.add_argument(
        "--windows",
        type=int,
        default=None,
        metavar="SIZE",
        help="check a spec of more operations in windows of SIZE, each a job of its own",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "NAME", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--window", nargs=2, type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _child(args: argparse.Namespace) -> int:
    kind, name, out = args.child
    window = (args.window[0], args.window[1]) if args.window else None
    summary = run_subject(kind, name, examples=args.examples, window=window)
    Path(out).write_text(json.dumps(summary), encoding="utf-8")
    return 0


def _run_child(
    kind: str, name: str, examples: int, window: tuple[int, int] | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="contract-run-") as scratch:
        out = Path(scratch) / "summary.json"
        command = [sys.executable, "-m", "tests.contract.corpus", "--child", kind, name, str(out)]
        command += ["--examples", str(examples)]
        if window is not None:
            command += ["--window", str(window[0]), str(window[1])]
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False, env=os.environ.copy()
        )
        if completed.returncode != 0 or not out.exists():
            return {
                "kind": kind,
                "name": name,
                "window": window,
                "setup_error": (
                    f"the child exited {completed.returncode}: {completed.stderr[-1500:]}"
                ),
                "generate_seconds": time.perf_counter() - started,
            }
        summary: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        summary["wall_seconds"] = time.perf_counter() - started
        return summary


def _windows(kind: str, name: str, size: int) -> list[tuple[str, str, tuple[int, int] | None]]:
    """One job for a spec, or one per window of `size` operations for a bigger one."""
    operations = count_operations(CORPUS / f"{name}.json")
    if operations <= size:
        return [(kind, name, None)]
    return [(kind, name, (start, start + size)) for start in range(0, operations, size)]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    jobs: list[tuple[str, str, tuple[int, int] | None]]
    label: str
    if args.shipped:
        jobs = [("shipped", name, None) for name in shipped_names()]
        label = "the shipped connectors"
    else:
        if not CORPUS.is_dir():
            print(f"{CORPUS} is absent: the corpus run needs the shared vendor specs")
            return 0
        if args.sample:
            day = today() if args.day is None else args.day
            jobs = [("corpus", e.spec.stem, e.window) for e in select_sample(day)]
            label = f"the rotating sample of day {day}"
        elif args.specs:
            jobs = [("corpus", name, None) for name in args.specs]
            label = "specs " + ", ".join(args.specs)
        else:
            jobs = [("corpus", spec.stem, None) for spec in corpus_specs()]
            label = "the whole business corpus"
        if args.windows is not None:
            jobs = [job for kind, name, _ in jobs for job in _windows(kind, name, args.windows)]
    started = time.perf_counter()
    summaries: list[dict[str, Any]] = []

    def one(job: tuple[str, str, tuple[int, int] | None]) -> dict[str, Any]:
        kind, name, window = job
        summary = _run_child(kind, name, args.examples, window)
        operations = summary.get("operations", [])
        bad = sum(1 for r in operations if any(f["explanation"] is None for f in r["findings"]))
        status = (
            summary.get("setup_error", "")[:120]
            or f"{len(operations)} operations, {bad} with findings"
        )
        print(f"{name}: {status} ({summary.get('wall_seconds', 0):.1f} s)", flush=True)
        return summary

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        summaries = list(pool.map(one, jobs))
    elapsed = time.perf_counter() - started
    command = "python -m tests.contract.corpus " + " ".join(sys.argv[1:] if argv is None else argv)
    report = args.report or (REPORT if not (args.sample or args.specs or args.shipped) else None)
    if report is not None:
        write_report(
            report,
            summaries,
            label=label,
            command=command.strip(),
            examples=args.examples,
            elapsed=elapsed,
        )
        print(f"report: {report}")
    if args.json is not None:
        args.json.write_text(json.dumps(summaries), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
