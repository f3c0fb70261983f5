"""Rate-limiter precision, counted where it matters: at the server.

Two runs against the benchmark server on 127.0.0.1 (bench/_server.py, a child process),
which stamps every arrival with ``time.monotonic()`` (one clock for all processes):

1. one process: `GitHubConnector` limited to `--limit` (20) requests/second, `--tasks`
   (200) tasks calling ``list_for_org(...).first_page()`` as fast as admitted, for
   `--seconds` (10);
2. shared through Redis: `--workers` (4) processes, each a connector built with
   ``state=<redis URL>`` and `--shared-limit` (50) requests/second, 50 tasks each, for
   the same time. A private redis-server is started on a free port (and stopped).

From the arrival stamps: the achieved rate (arrivals in the `--seconds` after the first
one, divided by `--seconds`) and the most arrivals in any sliding one-second window
([t, t + 1 s) for every arrival t). Goal: the rate within 2 % of the limit, and no window
above it. openapi-python-client has no rate limiting, so there is no peer figure: the
comparison is with the configured limit.

    python bench/bench_ratelimit.py [--seconds 10] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from _peer import PYTHON, SPEC, child_env, emit, git_state
from _server import LocalServer
from _stats import loadavg, machine

from connectory.connectors.github import GitHubConnector

HERE = Path(__file__).resolve().parent


def busiest_window(stamps: list[float], width: float = 1.0) -> int:
    """The most stamps in any interval [t, t + width)."""
    ordered = sorted(stamps)
    best = start = 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def judge(stamps: list[float], limit: float, seconds: float) -> dict[str, object]:
    ordered = sorted(stamps)
    first = ordered[0] if ordered else 0.0
    counted = sum(1 for s in ordered if s < first + seconds)
    rate = counted / seconds
    window = busiest_window(ordered)
    return {
        "limit_per_second": limit,
        "seconds": seconds,
        "arrivals": len(ordered),
        "arrivals_in_measured_span": counted,
        "achieved_rate": round(rate, 3),
        "rate_over_limit": round(rate / limit, 4),
        "busiest_1s_window": window,
        "within_2_percent": abs(rate / limit - 1) <= 0.02,
        "never_above": window <= limit,
    }


async def hammer(connector: GitHubConnector, tasks: int, until: float) -> int:
    """`tasks` tasks calling until `until` (monotonic); returns the calls completed."""
    done = 0

    async def task() -> None:
        nonlocal done
        while time.monotonic() < until:
            await connector.repos.list_for_org("octo", per_page=1).first_page()
            done += 1

    workers = [asyncio.create_task(task()) for _ in range(tasks)]
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return done


async def one_process(url: str, limit: int, tasks: int, seconds: float) -> int:
    connector = GitHubConnector(
        access_token="bench-token", base_url=url, rate_limits={"requests_per_second": limit}
    )
    try:
        return await hammer(connector, tasks, time.monotonic() + seconds + 1.0)
    finally:
        await connector.close()


async def worker(url: str, state: str, limit: int, tasks: int, start: float, until: float) -> int:
    connector = GitHubConnector(
        access_token="bench-token",
        base_url=url,
        rate_limits={"requests_per_second": limit},
        state=state,
    )
    try:
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        return await hammer(connector, tasks, until)
    finally:
        await connector.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis() -> tuple[subprocess.Popen[bytes], str] | None:
    executable = shutil.which("redis-server")
    if executable is None:
        return None
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - an installed redis-server, fixed argv
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError("the private redis-server did not start")


def shared(url: str, workers: int, limit: int, tasks: int, seconds: float) -> dict[str, object]:
    started = start_redis()
    if started is None:
        return {"skipped": "redis-server is not installed"}
    redis, state = started
    try:
        start = time.monotonic() + 3.0  # time for the workers to start and connect
        until = start + seconds + 1.0
        argv = [PYTHON, str(HERE / "bench_ratelimit.py"), "--worker", url, state]
        argv += [str(limit), str(tasks), repr(start), repr(until)]
        children = [
            subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=child_env())  # noqa: S603
            for _ in range(workers)
        ]
        done = [
            int((child.communicate(timeout=seconds + 120)[0] or "0").split()[-1])
            for child in children
        ]
        codes = [child.returncode for child in children]
    finally:
        redis.terminate()
        redis.wait(10)
    return {
        "workers": workers,
        "tasks_per_worker": tasks,
        "calls_per_worker": done,
        "exit_codes": codes,
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    load_start = loadavg()
    result: dict[str, object] = {"benchmark": "ratelimit"}
    with LocalServer(SPEC) as server:
        server.reset()
        calls = asyncio.run(one_process(server.url, args.limit, args.tasks, args.seconds))
        single = judge(server.arrivals(), args.limit, args.seconds)
        single.update({"tasks": args.tasks, "calls_completed": calls})
        result["single_process"] = single
        server.reset()
        run_shared = shared(
            server.url, args.workers, args.shared_limit, args.worker_tasks, args.seconds
        )
        if "skipped" not in run_shared:
            run_shared.update(judge(server.arrivals(), args.shared_limit, args.seconds))
        result["redis_shared"] = run_shared
    result.update(
        {
            "machine": machine(),
            "loadavg_start": load_start,
            "loadavg_end": loadavg(),
            "connectory_git": git_state(),
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--shared-limit", type=int, default=50)
    parser.add_argument("--worker-tasks", type=int, default=50)
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if args.worker:
        url, state, limit, tasks, start, until = args.worker
        done = asyncio.run(worker(url, state, int(limit), int(tasks), float(start), float(until)))
        print(done)
        return
    if not SPEC.is_file():
        print(f"SKIPPED: {SPEC} is absent")
        sys.exit(0)
    if args.smoke:
        args.seconds, args.tasks, args.workers, args.worker_tasks = 1.0, 20, 2, 5
    emit(run(args), args.json)


if __name__ == "__main__":
    main()
