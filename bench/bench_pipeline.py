"""Per-request cost of a typed list call through a generated connector, against bare httpx.

connectory: ``await github.repos.list_for_org("octo", per_page=N).first_page()`` on the
shipped `GitHubConnector` (bearer auth, the rate limiter with three windows active but
never waiting, the retry wrapper, per-operation metrics, error mapping, the pager and
decoding into `MinimalRepository` models). Two forms: as built by default (OpenTelemetry
hooks on, as with the ``otel`` extra installed and no SDK configured), and with
``telemetry=False``.

Bare httpx: ``await client.get("/orgs/octo/repos", params={"per_page": N})``,
``raise_for_status()`` and ``response.json()`` on an `httpx.AsyncClient` with the same
headers.

Both run over the same `httpx.MockTransport` and over a real HTTP/1.1 server on
127.0.0.1 (bench/_server.py, a child process), for pages of 1 item and of 30 (GitHub's
default page). Rounds rotate the order of the clients; a round times `--requests`
sequential calls of each. Reported: medians, min-max over rounds, and the ratio
connectory / bare taken round by round.

Then a cProfile run of the default connector over the mock transport (1 item) lists where
the time goes, per request, by function and by module.

    python bench/bench_pipeline.py [--requests 1000] [--rounds 9] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import platform
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _peer import SPEC, emit, git_state
from _server import LocalServer, templates
from _stats import loadavg, machine, ratio_summary, summary

from connectory.connectors.github import GitHubConnector

TOKEN = "bench-token-0123456789"
LIMITS = {
    "requests_per_second": 1_000_000_000,
    "requests_per_minute": 10_000_000_000,
    "requests_per_day": 100_000_000_000,
}
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}
ORG = "octo"
Send = Callable[[], Awaitable[object]]


def page_body(items: int) -> bytes:
    rest = templates(SPEC)["repos"]
    return b"[" + b",".join(b'{"id":%d,' % i + rest for i in range(items)) + b"]"


def mock_transport(bodies: dict[int, bytes]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        items = int(request.url.params.get("per_page", "30"))
        return httpx.Response(
            200, content=bodies[items], headers={"Content-Type": "application/json"}
        )

    return httpx.MockTransport(handler)


def clients(
    base_url: str, transport: httpx.AsyncBaseTransport | None
) -> tuple[httpx.AsyncClient, GitHubConnector, GitHubConnector]:
    extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
    bare = httpx.AsyncClient(base_url=base_url, headers=HEADERS, **extra)
    ours = GitHubConnector(access_token=TOKEN, base_url=base_url, rate_limits=LIMITS, **extra)
    quiet = GitHubConnector(
        access_token=TOKEN, base_url=base_url, rate_limits=LIMITS, telemetry=False, **extra
    )
    return bare, ours, quiet


def senders(
    bare: httpx.AsyncClient, ours: GitHubConnector, quiet: GitHubConnector, items: int
) -> dict[str, Send]:
    async def send_bare() -> object:
        response = await bare.get(f"/orgs/{ORG}/repos", params={"per_page": items})
        response.raise_for_status()
        return response.json()

    def typed(connector: GitHubConnector) -> Send:
        async def send() -> object:
            page = await connector.repos.list_for_org(ORG, per_page=items).first_page()
            assert len(page.items) == items
            return page.items

        return send

    return {
        "bare_httpx": send_bare,
        "connectory": typed(ours),
        "connectory_no_telemetry": typed(quiet),
    }


async def timed(send: Send, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        await send()
    return (time.perf_counter() - start) / requests * 1e6


async def measure(sends: dict[str, Send], requests: int, rounds: int) -> dict[str, object]:
    names = list(sends)
    for name in names:  # warm-up: connections, decoders, caches
        await timed(sends[name], max(20, requests // 5))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(await timed(sends[name], requests))
    return {
        "us_per_request": {name: summary(values) for name, values in samples.items()},
        "ratio_over_bare": {
            name: ratio_summary(samples[name], samples["bare_httpx"])
            for name in names
            if name != "bare_httpx"
        },
    }


async def run_case(
    base_url: str,
    transport: httpx.AsyncBaseTransport | None,
    items: int,
    requests: int,
    rounds: int,
) -> dict[str, object]:
    bare, ours, quiet = clients(base_url, transport)
    try:
        result = await measure(senders(bare, ours, quiet, items), requests, rounds)
        counted = ours.monitoring_service.operations
        result["requests_counted_by_metrics"] = sum(s.requests for s in counted.values())
        return result
    finally:
        await bare.aclose()
        await ours.close()
        await quiet.close()


def module_of(filename: str) -> str:
    """A short name for where a function lives: httpx/_models.py, core/_http.py, ..."""
    if filename.startswith("<connectory decoder"):
        return "core/models.py (compiled decoders)"
    parts = filename.replace("\\", "/").split("/")
    for anchor in ("httpx", "httpcore", "core", "connectors", "opentelemetry", "stamina"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            return "/".join(parts[index:])
    if filename.startswith(("~", "{")):
        return "builtins"
    return "python/" + parts[-1] if "python3" in filename else parts[-1]


async def profile_one(send: Send, requests: int) -> dict[str, Any]:
    """cProfile of `requests` calls: own time per function and per module, in µs per call,
    scaled so the total matches the unprofiled time (cProfile slows every call)."""
    await timed(send, max(50, requests // 5))
    plain_us = await timed(send, requests)
    profiler = cProfile.Profile()
    profiler.enable()
    profiled_us = await timed(send, requests)
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    by_module: dict[str, float] = {}
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in stats.items():
        module = module_of(filename)
        by_module[module] = by_module.get(module, 0.0) + own
        rows.append((own, cumulative, calls, f"{module}:{line}({function})"))
    rows.sort(reverse=True)
    scale = plain_us / profiled_us

    def us(seconds: float) -> float:
        return round(seconds / requests * 1e6 * scale, 1)

    return {
        "us_per_request_unprofiled": round(plain_us, 1),
        "us_per_request_profiled": round(profiled_us, 1),
        "scale": round(scale, 3),
        "top_functions": [
            {
                "function": name,
                "own_us": us(own),
                "cumulative_us": us(cum),
                "calls": calls / requests,
            }
            for own, cum, calls, name in rows[:15]
        ],
        "by_module_own_us": {m: us(t) for m, t in sorted(by_module.items(), key=lambda kv: -kv[1])},
    }


async def profile(requests: int) -> dict[str, object]:
    """Where a typed call's time goes beyond bare httpx's (mock transport, 1 item)."""
    bare, ours, quiet = clients("https://api.github.com", mock_transport({1: page_body(1)}))
    sends = senders(bare, ours, quiet, 1)
    try:
        profiles = {
            name: await profile_one(sends[name], requests) for name in ("bare_httpx", "connectory")
        }
    finally:
        await bare.aclose()
        await ours.close()
        await quiet.close()
    ours_modules = profiles["connectory"]["by_module_own_us"]
    bare_modules = profiles["bare_httpx"]["by_module_own_us"]
    difference = {
        module: round(ours_modules.get(module, 0.0) - bare_modules.get(module, 0.0), 1)
        for module in set(ours_modules) | set(bare_modules)
    }
    return {
        "requests": requests,
        "profiles": profiles,
        "extra_by_module_us": dict(sorted(difference.items(), key=lambda kv: -kv[1])[:15]),
    }


async def run(
    requests: int, rounds: int, sizes: list[int], profile_requests: int
) -> dict[str, object]:
    bodies = {items: page_body(items) for items in sizes}
    cases: dict[str, object] = {}
    load_start = loadavg()
    for items in sizes:
        cases[f"mock_{items}"] = await run_case(
            "https://api.github.com", mock_transport(bodies), items, requests, rounds
        )
    with LocalServer(SPEC) as server:
        for items in sizes:
            cases[f"server_{items}"] = await run_case(server.url, None, items, requests, rounds)
    return {
        "benchmark": "pipeline",
        "requests_per_round": requests,
        "rounds": rounds,
        "page_sizes": sizes,
        "cases": cases,
        "profile": await profile(profile_requests),
        "httpx": httpx.__version__,
        "python": platform.python_version(),
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "connectory_git": git_state(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--profile-requests", type=int, default=3000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if not SPEC.is_file():
        print(f"SKIPPED: {SPEC} is absent")
        sys.exit(0)
    if args.smoke:
        args.requests, args.rounds, args.profile_requests = 20, 1, 50
    result = asyncio.run(run(args.requests, args.rounds, [1, 30], args.profile_requests))
    emit(result, args.json)


if __name__ == "__main__":
    main()
