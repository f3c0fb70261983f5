"""Run the fault suite and write docs/reliability.md from the figures its tests recorded.

.venv/bin/python -m tests.faults.report            # the suite as CI runs it
CONNECTORY_FUZZ_EXAMPLES=1000 .venv/bin/python -m tests.faults.report   # more fuzzing
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "figures.json"
        env = {**os.environ, "CONNECTORY_RELIABILITY_FIGURES": str(target)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/faults"]
        completed = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"the fault suite failed (exit {completed.returncode})")
        figures: dict[str, Any] = json.loads(target.read_text())
    return figures


def _table(rows: list[tuple[str, Any]]) -> str:
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def render(figures: dict[str, Any]) -> str:
    storm = figures["storm"]
    limiter = figures["limiter_20_per_second"]
    oauth = figures["oauth"]
    injection = figures["injection"]
    secrets = figures["secrets"]
    fuzz = figures["fuzz"]
    faults = ", ".join(f"{kind} {count}" for kind, count in storm["faults_injected"].items())
    outcomes = ", ".join(f"{kind} {count}" for kind, count in storm["outcomes"].items())
    walks = "\n".join(
        f"| {w['mode']} | {w['page_size'] if w['page_size'] is not None else '-'} | "
        f"{w['requests']} | {w['ended_with']} |"
        for w in figures["pagination"]
    )
    machine = (
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    return f"""# Reliability

Figures from the fault suite (`tests/faults/`), run against real servers on 127.0.0.1 in
child processes that count what arrives (`tests/servers/`). Regenerate this page with
`.venv/bin/python -m tests.faults.report` (it runs the suite and writes the figures the
tests recorded); CI runs the same tests on every change. Last run: {dt.date.today()},
{machine}.

## Fault storm

{storm["calls"]:,} calls from {storm["tasks"]} concurrent tasks through a connector
generated from `tests/faults/fixtures/storm` (GET one item, GET a page, POST with and
without an idempotency key), against a server that injects faults at random.

{
        _table(
            [
                ("calls made", f"{storm['calls']:,}"),
                ("requests that arrived (retries included)", f"{storm['arrivals']:,}"),
                ("faults injected, by kind", faults),
                ("outcomes", outcomes),
                ("calls with wrong data", storm["wrong_data"]),
                ("exceptions other than ConnectorError subclasses", storm["foreign_exceptions"]),
                ("hangs (the whole storm has a hard deadline)", storm["hangs"]),
                ("POSTs without an idempotency key", storm["unkeyed_posts"]),
                (
                    "... answered 429 (refused, not resent)",
                    storm["unkeyed_posts_refused_by_429"],
                ),
                ("... that arrived twice", storm["unkeyed_posts_arrived_twice"]),
                ("limit (requests per second)", storm["limit_per_second"]),
                ("highest count in any 1 s window, as the server counted", storm["busiest_second"]),
                ("highest count in any 60 s window", storm["busiest_minute"]),
                ("seconds", storm["seconds"]),
            ]
        )
    }

Every failed call raised a typed error: a spoiled 200 (invalid JSON, an empty body) is a
`DecodeError` or `PaginationError`, and a POST without an idempotency key is sent once,
whatever fault it meets (`RetryPolicy(unsafe_after_429=True)` resends it after a 429).

## Rate limiter

{limiter["tasks"]} tasks, limit {limiter["limit"]} requests per second, {limiter["seconds"]:g} s:
{limiter["requests"]} requests arrived; the highest count in any sliding second, as the
server counted arrivals, was **{limiter["busiest_second"]}**; the rate reached was
{limiter["achieved_rate"]} per second. Windows of an hour and a day are proven on a
controllable clock (`tests/core/test_ratelimit.py`: property tests over random limits,
gaps and latencies, counting every window an arrival could fall in).

## OAuth2

{
        _table(
            [
                ("requests on an expired token, at once", oauth["concurrent_expired"]["requests"]),
                ("... token requests that arrived", oauth["concurrent_expired"]["token_requests"]),
                (
                    "... rotated tokens handed to the token store",
                    oauth["concurrent_expired"]["tokens_stored"],
                ),
                (
                    "requests when the refresh is rejected (invalid_grant)",
                    oauth["rejected_refresh"]["requests"],
                ),
                ("... token requests that arrived", oauth["rejected_refresh"]["token_requests"]),
                (
                    "... AuthenticationError raised",
                    oauth["rejected_refresh"]["authentication_errors"],
                ),
            ]
        )
    }

A 401 right after a fresh token ends with `AuthenticationError`, without another refresh.

## Pagination

| mode | page size | requests | ended with |
|---|---|---|---|
{walks}

## Injection and leaks

{
        _table(
            [
                (
                    "path parameter values sent (random text, / .. % ? # CR LF, non-ASCII)",
                    injection["path_values_sent"],
                ),
                ("... that left their one path segment", 0),
                (
                    "CR/LF in a header or credential, refused before sending",
                    ", ".join(injection["crlf_refused_before_sending"]),
                ),
                ("... requests that arrived for them", 0),
                (
                    "random secrets tried, by where they travel",
                    ", ".join(f"{k} {v}" for k, v in secrets["random_secrets_by_location"].items()),
                ),
                (
                    "secrets found, raw or escaped, in logs, exceptions, reprs, metrics, "
                    "events, health",
                    secrets["leaks"],
                ),
            ]
        )
    }

## Hostile specs and fuzzing

Malformed JSON and YAML, unsupported versions, a dangling `$ref`, a cyclic `$ref` chain,
20-deep `allOf`, keyword, builtin and digit-leading names, case-clashing enum values,
operationIds that collide after snake_casing, and a 50 MB spec: each generates code that
imports and type-checks, or fails with a message naming the file (and the JSON pointer),
exit status 2, no traceback, no output folder.

{
        _table(
            [
                (
                    "valid documents drawn by hypothesis: generated, imported, type-checked",
                    fuzz["valid_documents_generated_imported_type_checked"],
                ),
                (
                    "mutated documents",
                    ", ".join(f"{k} {v}" for k, v in fuzz["mutated_documents"].items()),
                ),
            ]
        )
    }

## Logging

With no logging configured, a run with retries and failures writes nothing to stderr
(stamina's retry records included): everything goes through `logging`, where an
application that configures it finds it.
"""


def main() -> None:
    figures = run()
    (ROOT / "docs" / "reliability.md").write_text(render(figures), encoding="utf-8")
    print("wrote docs/reliability.md")


if __name__ == "__main__":
    main()
