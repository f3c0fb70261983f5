"""The markdown report of a contract run (docs/contract-corpus.md): figures and causes."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections import Counter
from pathlib import Path
from typing import Any, Final

from ._causes import HARNESS
from ._run import Totals, summarise
from ._types import NORMALISATIONS

STAGES: Final = {
    "request": "Request violations",
    "decode": "Decode failures",
    "round-trip": "Round-trip mismatches",
    "call": "Calls that raised",
    "harness": "Parts not exercised (nothing could be drawn or sent for them)",
}

HOW: Final = """\
## How

For each spec, `connectory.generator.generate_spec` writes the package of the whole spec
into a temporary folder, which is imported under a name of its own. Every operation of its
`OPERATIONS` is then checked by `tests/contract/_harness.py`, with Hypothesis examples
(a fixed seed per operation and response variant, so a run can be repeated):

* **request**: arguments are drawn from the schemas of its parameters (every location and
  style) and of its request body (the media type the method sends), turned into what the
  method takes (models through `Model.from_dict`, enum members, `datetime`s, bytes for
  files), and the method is called through a connector whose transport is an
  `httpx.MockTransport`. The one request it sends is validated by **openapi-core against
  the whole vendor spec** (servers set to the connector's base URL, security left out),
  and every value is **read back from the wire** as its style and media type say and
  compared with what was drawn; a query parameter, header or body that was not given must
  not arrive, and the `Accept` header must admit the answer's media type;
* **response**: every declared success response (each status, and the media type the
  method asks for) is answered with a body drawn from its schema. The result must decode
  with `strict=True`, be of the declared type all the way down, and `encode()` back to
  what was sent, up to the normalisations listed below.

A finding is ours unless `tests/contract/_causes.py` traces it to an inconsistency of the
spec (quoting its JSON pointer) or to a limit of the harness's tools (openapi-core,
hypothesis-jsonschema); an open bug of ours is named in `tests/contract/_known_bugs.py`.
Where OpenAPI defines no serialisation, the runtime's documented choice is what is read
back: JSON text for a nested value in a query, path, header or cookie; brackets for
objects in a form body; JSON parts for objects in a multipart body.
"""


def _table(counter: Counter[str], header: str) -> list[str]:
    lines = [f"| {header} | operations |", "|---|---|"]
    lines += [f"| {cause} | {count} |" for cause, count in counter.most_common()]
    return lines


def _kind(item: dict[str, Any]) -> str:
    if item.get("open_bug"):
        return "ours, open"
    explanation = item.get("explanation")
    if explanation is None:
        return "ours"
    return "harness" if explanation.startswith(HARNESS) else "spec"


def render(
    summaries: list[dict[str, Any]], *, label: str, command: str, examples: int, elapsed: float
) -> str:
    totals: Totals = summarise(summaries)
    lines = [
        "# Contract run over the business corpus",
        "",
        f"What: {label}. Command: `{command}` ({examples} Hypothesis example(s) per response "
        "variant).",
        f"Run: {dt.date.today().isoformat()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores (shared). Wall time "
        f"{elapsed / 60:.1f} min; generation and import {totals.generate_seconds / 60:.1f} min "
        f"and checks {totals.check_seconds / 60:.1f} min, summed over specs.",
        "",
        HOW,
        "## Figures",
        "",
        "| | |",
        "|---|---|",
        f"| specs | {totals.subjects} |",
        f"| operations in the specs | {totals.operations_total} |",
        f"| operations checked | {totals.operations} |",
        f"| operations exercised (a request sent and checked) | {totals.exercised} |",
        f"| examples | {totals.examples} |",
        f"| requests validated and read back | {totals.requests} |",
        f"| response variants decoded | {totals.variants} |",
        "| response variants not asked for (another media type of the status) | "
        f"{totals.skipped_variants} |",
        f"| operations without any finding | {totals.clean} |",
        f"| operations whose findings are all the spec's (or a tool's) | {totals.explained_only} |",
        f"| specs that did not generate or import | {len(totals.setup_errors)} |",
        "",
    ]
    by_kind: dict[str, dict[str, Counter[str]]] = {}
    for item in totals.remaining:
        stage_counts = by_kind.setdefault(item["stage"], {})
        stage_counts.setdefault(_kind(item), Counter())[item["cause"]] += 1
    titles = {
        "ours": "Ours (not explained)",
        "ours, open": "Ours, open (see the list below)",
        "spec": "Caused by the spec (see the list below)",
        "harness": "Limits of the harness's tools",
    }
    for stage, title in STAGES.items():
        lines += [f"## {title}", ""]
        kinds = by_kind.get(stage, {})
        if not kinds:
            lines += ["None.", ""]
            continue
        for kind, heading in titles.items():
            if kind in kinds:
                lines += [f"{heading}:", "", *_table(kinds[kind], "cause"), ""]
    lines += ["## Normalisations allowed in comparisons", ""]
    lines += ["| normalisation | times | what |", "|---|---|---|"]
    for kind, what in NORMALISATIONS.items():
        lines.append(f"| {kind} | {totals.notes.get(kind, 0)} | {what} |")
    lines += ["", "## Remaining findings", ""]
    if totals.setup_errors:
        lines += ["Specs that did not generate or import:", ""]
        lines += [f"- {error}" for error in totals.setup_errors] + [""]
    lines += _remaining(totals.remaining)
    lines += ["", "## Timings per spec", "", "| spec | operations | generate, s | check, s |"]
    lines.append("|---|---|---|---|")
    for summary in sorted(
        summaries, key=lambda s: -(s.get("check_seconds", 0) + s.get("generate_seconds", 0))
    ):
        window = summary.get("window")
        name = summary["name"] + (f" [{window[0]}:{window[1]}]" if window else "")
        lines.append(
            f"| {name} | {len(summary.get('operations', []))} | "
            f"{summary.get('generate_seconds', 0):.1f} | {summary.get('check_seconds', 0):.1f} |"
        )
    return "\n".join(lines) + "\n"


def _remaining(items: list[dict[str, Any]]) -> list[str]:
    """Every finding not ours, grouped: spec, stage, cause and account, with how many
    operations show it and one of them."""
    if not items:
        return ["None."]
    groups: dict[tuple[str, str, str, str, str], list[str]] = {}
    for item in items:
        kind = _kind(item)
        account = item.get("open_bug") or item.get("explanation") or f"ours: {item['detail']}"
        key = (kind, item["subject"], item["stage"], item["cause"], account)
        groups.setdefault(key, []).append(item["operation"])
    order = {"ours": 0, "ours, open": 1, "spec": 2, "harness": 3}
    lines = [
        "| kind | spec | operations | stage | cause | the spec inconsistency (JSON pointer), "
        "or what it is |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(groups, key=lambda k: (order[k[0]], k[1], k[2], k[3])):
        kind, subject, stage, cause, account = key
        operations = groups[key]
        text = account.removeprefix(HARNESS).replace("|", "\\|").replace("\n", " ")[:300]
        where = f"{len(operations)} (e.g. {operations[0]})"
        cells = (kind, subject, where, stage, cause.replace("|", "\\|"), text)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_report(
    path: Path,
    summaries: list[dict[str, Any]],
    *,
    label: str,
    command: str,
    examples: int,
    elapsed: float,
) -> None:
    path.write_text(
        render(summaries, label=label, command=command, examples=examples, elapsed=elapsed),
        encoding="utf-8",
    )
