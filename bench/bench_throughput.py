"""Requests per second with many concurrent tasks against a real local server.

`--tasks` tasks (100) share `--requests` requests (10,000) to the benchmark server on
127.0.0.1 (bench/_server.py, a child process; one item per page): connectory's
`GitHubConnector` (``list_for_org(...).first_page()``, limits set far above what is
reached, so the limiter runs but never waits) against a bare `httpx.AsyncClient`
(``get`` + ``raise_for_status`` + ``json``). Both use httpx's default pool (100
connections). Rounds alternate the two, order reversed every other round; reported:
requests/second per round (median, min-max) and connectory / bare per round.

    python bench/bench_throughput.py [--requests 10000] [--tasks 100] [--rounds 3]
                                     [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import httpx
from _peer import SPEC, emit, git_state
from _server import LocalServer
from _stats import loadavg, machine, ratio_summary, summary
from bench_pipeline import HEADERS, LIMITS, ORG, TOKEN, Send

from connectory.connectors.github import GitHubConnector


async def burst(send: Send, requests: int, tasks: int) -> float:
    """Requests per second of `tasks` tasks sharing `requests` calls."""
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await send()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return requests / (time.perf_counter() - start)


async def run(requests: int, tasks: int, rounds: int) -> dict[str, object]:
    load_start = loadavg()
    with LocalServer(SPEC) as server:
        bare = httpx.AsyncClient(base_url=server.url, headers=HEADERS)
        ours = GitHubConnector(access_token=TOKEN, base_url=server.url, rate_limits=LIMITS)

        async def send_bare() -> object:
            response = await bare.get(f"/orgs/{ORG}/repos", params={"per_page": 1})
            response.raise_for_status()
            return response.json()

        async def send_ours() -> object:
            return (await ours.repos.list_for_org(ORG, per_page=1).first_page()).items

        sends = {"bare_httpx": send_bare, "connectory": send_ours}
        samples: dict[str, list[float]] = {name: [] for name in sends}
        try:
            for send in sends.values():  # warm-up: open the pool's connections
                await burst(send, max(tasks * 2, requests // 10), tasks)
            server.reset()
            for index in range(rounds):
                names = list(sends) if index % 2 == 0 else list(sends)[::-1]
                for name in names:
                    samples[name].append(await burst(sends[name], requests, tasks))
            arrivals = len(server.arrivals())
        finally:
            await bare.aclose()
            await ours.close()
    return {
        "benchmark": "throughput",
        "requests_per_round": requests,
        "tasks": tasks,
        "rounds": rounds,
        "requests_per_second": {name: summary(values) for name, values in samples.items()},
        "ratio_connectory_over_bare": ratio_summary(samples["connectory"], samples["bare_httpx"]),
        "arrivals_counted_at_server": arrivals,
        "limiter_waits": ours.rate_limiter.waits,
        "httpx": httpx.__version__,
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "connectory_git": git_state(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if not SPEC.is_file():
        print(f"SKIPPED: {SPEC} is absent")
        sys.exit(0)
    if args.smoke:
        args.requests, args.tasks, args.rounds = 200, 20, 1
    emit(asyncio.run(run(args.requests, args.tasks, args.rounds)), args.json)


if __name__ == "__main__":
    main()
