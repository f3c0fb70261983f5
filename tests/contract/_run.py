"""Running the contract checks over whole subjects (a corpus spec or a shipped connector).

`run_subject` checks every operation of one subject and returns a JSON-ready summary;
`select_sample` picks the rotating CI sample; `summarise` folds many summaries into the
figures of the report (`_report`). The corpus command (`tests.contract.corpus`) runs each
subject in a child process; the pytest tests call `run_subject` directly.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from connectory.core import testing

from ._causes import explain
from ._harness import Finding, OperationReport, Session, check_operation
from ._known_bugs import open_bug
from ._spec import CORPUS, ContractSpec, shipped

SAMPLE_SPECS: Final = 3  # corpus specs per CI run
SAMPLE_OPERATIONS: Final = 250  # at most this many operations of each, in a rotating window


def corpus_specs() -> list[Path]:
    return sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []


def package_name(spec: Path) -> str:
    """A fresh package name for a corpus spec (a lower-case identifier)."""
    stem = "".join(c if c.isalnum() else "_" for c in spec.stem.lower())
    return f"contract_{stem}"


@attrs.frozen
class SampleEntry:
    spec: Path
    window: tuple[int, int] | None  # operations [start, stop) or None for all


def select_sample(day: int, specs: Sequence[Path] | None = None) -> list[SampleEntry]:
    """The corpus specs of day `day` (days since 1970-01-01): `SAMPLE_SPECS` consecutive
    specs of the sorted corpus, so that every spec comes round every
    len(corpus) / SAMPLE_SPECS days; a spec with more than `SAMPLE_OPERATIONS` operations
    is checked in windows of that size, the next window each time it comes round."""
    specs = list(specs if specs is not None else corpus_specs())
    if not specs:
        return []
    cycle = -(-len(specs) // SAMPLE_SPECS)
    turn, slot = divmod(day, cycle)
    chosen = []
    for offset in range(SAMPLE_SPECS):
        index = slot * SAMPLE_SPECS + offset
        if index >= len(specs):
            index -= len(specs)
        spec = specs[index]
        operations = count_operations(spec)
        if operations <= SAMPLE_OPERATIONS:
            chosen.append(SampleEntry(spec, None))
        else:
            windows = -(-operations // SAMPLE_OPERATIONS)
            start = (turn % windows) * SAMPLE_OPERATIONS
            chosen.append(SampleEntry(spec, (start, start + SAMPLE_OPERATIONS)))
    return list({entry.spec: entry for entry in chosen}.values())


def today() -> int:
    return (dt.date.today() - dt.date(1970, 1, 1)).days


SHIPPED_PER_RUN: Final = 12  # shipped connectors whose every operation a CI run checks


def select_shipped(day: int, names: Sequence[str], count: int = SHIPPED_PER_RUN) -> list[str]:
    """The shipped connectors of day `day`: `count` consecutive names of the sorted list,
    the next `count` the next day, so that every one comes round every len(names) / count
    days."""
    ordered = sorted(names)
    if not ordered:
        return []
    start = (day * count) % len(ordered)
    return sorted({ordered[(start + i) % len(ordered)] for i in range(min(count, len(ordered)))})


def count_operations(spec: Path) -> int:
    document = json.loads(spec.read_text(encoding="utf-8"))
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return sum(
        1
        for item in (document.get("paths") or {}).values()
        if isinstance(item, dict)
        for method in methods
        if isinstance(item.get(method), dict)
    )


# -- one subject ---------------------------------------------------------------------------


def run_subject(
    kind: str,
    name: str,
    *,
    examples: int,
    window: tuple[int, int] | None = None,
    root: Path | None = None,
) -> dict[str, Any]:
    """Generate (for a corpus spec) and check every operation of one subject."""
    summary: dict[str, Any] = {"kind": kind, "name": name, "window": window}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="contract-") as scratch:
        try:
            if kind == "corpus":
                path = CORPUS / f"{name}.json"
                spec = ContractSpec.generated(path, package_name(path), root or Path(scratch))
            else:
                spec = shipped(name)
        except Exception as error:  # generation or import failed: the whole subject
            summary["setup_error"] = "".join(traceback.format_exception_only(error)).strip()[:2000]
            summary["generate_seconds"] = time.perf_counter() - started
            return summary
        summary["generate_seconds"] = time.perf_counter() - started
        summary["operations_total"] = len(spec.operations)
        operations = list(spec.operations)
        if window is not None:
            operations = operations[window[0] : window[1]]
        checked = time.perf_counter()
        reports: list[dict[str, Any]] = []
        with testing.no_waiting(), warnings.catch_warnings(), Session(spec) as session:
            warnings.simplefilter("ignore", DeprecationWarning)  # deprecated operations warn
            for info in operations:
                report = check_operation(session, info, examples=examples)
                reports.append(_report_json(spec, report))
        summary["check_seconds"] = time.perf_counter() - checked
        summary["operations"] = reports
        if kind == "corpus":
            spec.forget()
    return summary


def _report_json(spec: ContractSpec, report: OperationReport) -> dict[str, Any]:
    findings = []
    for finding in report.findings.values():
        findings.append(
            {
                **attrs.asdict(finding),
                "explanation": explain(spec, finding),
                "open_bug": open_bug(finding),
            }
        )
    return {
        "operation": report.operation,
        "pointer": report.pointer,
        "examples": report.examples,
        "requests": report.requests,
        "variants": report.variants,
        "skipped": report.skipped,
        "notes": dict(report.notes),
        "seconds": round(report.seconds, 4),
        "findings": findings,
    }


def unexplained(summary: dict[str, Any]) -> list[str]:
    """The findings of a subject no spec problem explains, one line each."""
    lines = []
    if "setup_error" in summary:
        lines.append(f"{summary['name']}: {summary['setup_error']}")
    for report in summary.get("operations", ()):
        for finding in report["findings"]:
            if finding["explanation"] is None and finding.get("open_bug") is None:
                lines.append(
                    f"{summary['name']} {report['operation']} [{finding['stage']}] "
                    f"{finding['cause']} {finding['variant']}: {finding['detail']}"
                )
    return lines


def findings_of(summaries: Iterable[dict[str, Any]]) -> list[Finding]:
    out = []
    for summary in summaries:
        for report in summary.get("operations", ()):
            for finding in report["findings"]:
                fields = {k: v for k, v in finding.items() if k not in ("explanation", "open_bug")}
                out.append(Finding(**fields))
    return out


@attrs.define
class Totals:
    """The figures of a run."""

    subjects: int = 0
    operations_total: int = 0
    operations: int = 0  # checked
    exercised: int = 0  # sent at least one request that was checked
    examples: int = 0
    requests: int = 0
    variants: int = 0
    skipped_variants: int = 0
    clean: int = 0  # without any finding
    explained_only: int = 0  # findings, every one a spec problem
    setup_errors: list[str] = attrs.field(factory=list)
    by_stage: dict[str, Counter[str]] = attrs.field(factory=dict)
    explained: dict[str, Counter[str]] = attrs.field(factory=dict)
    notes: Counter[str] = attrs.field(factory=Counter)
    generate_seconds: float = 0.0
    check_seconds: float = 0.0
    remaining: list[dict[str, Any]] = attrs.field(factory=list)


def summarise(summaries: Iterable[dict[str, Any]]) -> Totals:
    """The figures of a run; the windows of one spec (``--windows``) count as one spec."""
    totals = Totals()
    counted: set[str] = set()
    for summary in summaries:
        first = summary["name"] not in counted
        counted.add(summary["name"])
        totals.subjects += first
        totals.generate_seconds += summary.get("generate_seconds", 0.0)
        totals.check_seconds += summary.get("check_seconds", 0.0)
        if "setup_error" in summary:
            totals.setup_errors.append(f"{summary['name']}: {summary['setup_error']}")
            continue
        totals.operations_total += summary["operations_total"] if first else 0
        for report in summary["operations"]:
            totals.operations += 1
            totals.examples += report["examples"]
            totals.requests += report["requests"]
            totals.variants += len(report["variants"])
            totals.skipped_variants += len(report["skipped"])
            totals.notes.update(report["notes"])
            if report["requests"]:
                totals.exercised += 1
            findings = report["findings"]
            if not findings:
                totals.clean += 1
            elif all(f["explanation"] is not None for f in findings):
                totals.explained_only += 1
            seen: set[tuple[str, str, bool]] = set()
            for finding in findings:
                explained = finding["explanation"] is not None
                key = (finding["stage"], finding["cause"], explained)
                if key in seen:
                    continue
                seen.add(key)
                target = totals.explained if explained else totals.by_stage
                target.setdefault(finding["stage"], Counter())[finding["cause"]] += 1
                totals.remaining.append(
                    {"subject": summary["name"], "operation": report["operation"], **finding}
                )
    return totals
