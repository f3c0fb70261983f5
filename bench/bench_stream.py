"""Memory while streaming a long listing: 1,000,000 items over 10,000 pages.

The benchmark server on 127.0.0.1 (bench/_server.py, a child process) serves GitHub's
``GET /orgs/{org}/members`` as 10,000 pages of 100 `SimpleUser` items linked by ``Link``
headers. Each client runs in a fresh child process of its own:

- connectory: ``async for user in github.orgs.list_members(org, per_page=100)`` (typed
  items, pages fetched as iterated);
- bare httpx, for reference: ``get`` the page, ``response.json()``, follow
  ``response.links["next"]``.

Each child records its resident set (VmRSS) and peak (VmHWM) when 10 %, 50 % and 100 %
of the items have been seen (100k, 500k and 1M), and the parent takes its peak RSS from
``os.wait4``. Goal: connectory's peak below 100 MB, and RSS at 1M no more than 5 MB above
RSS at 100k (flat, not growing with the item count).

    python bench/bench_stream.py [--items 1000000] [--per-page 100] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _peer import PYTHON, SPEC, emit, git_state, run_child
from _server import LocalServer
from _stats import loadavg, machine, rss_mb

HERE = Path(__file__).resolve().parent
LIMITS = {"requests_per_second": 1_000_000_000}
GROWTH_LIMIT_MB = 5.0
PEAK_LIMIT_MB = 100.0


def checkpoints(items: int) -> list[int]:
    return [items // 10, items // 2, items]


async def walk(kind: str, url: str, items: int, per_page: int) -> dict[str, object]:
    pages = items // per_page
    org = f"pages-{pages}"
    marks = checkpoints(items)
    seen: list[dict[str, object]] = []
    count = 0
    start = time.perf_counter()

    def tick() -> None:
        if count in marks:
            now, peak = rss_mb()
            elapsed = round(time.perf_counter() - start, 2)
            seen.append({"items": count, "rss_mb": now, "peak_mb": peak, "seconds": elapsed})

    if kind == "connectory":
        from connectory.connectors.github import GitHubConnector

        github = GitHubConnector(access_token="bench-token", base_url=url, rate_limits=LIMITS)
        try:
            async for user in github.orgs.list_members(org, per_page=per_page):
                count += 1
                if user.id is None:  # pragma: no cover - touches the typed item
                    raise AssertionError
                tick()
        finally:
            await github.close()
    else:
        async with httpx.AsyncClient(base_url=url) as client:
            next_url: str | None = f"/orgs/{org}/members?per_page={per_page}"
            while next_url:
                response = await client.get(next_url)
                response.raise_for_status()
                for _item in response.json():
                    count += 1
                    tick()
                next_url = response.links.get("next", {}).get("url")
    return {"items": count, "checkpoints": seen, "seconds": round(time.perf_counter() - start, 2)}


def run(items: int, per_page: int) -> dict[str, object]:
    load_start = loadavg()
    results: dict[str, object] = {}
    with LocalServer(SPEC) as server, tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        for kind in ("connectory", "bare_httpx"):
            out = Path(tmp) / f"{kind}.json"
            argv = [PYTHON, str(HERE / "bench_stream.py"), "--child", kind, server.url]
            argv += ["--items", str(items), "--per-page", str(per_page), "--json", str(out)]
            child = run_child(argv, Path(tmp) / f"{kind}.out", Path(tmp) / f"{kind}.err", HERE)
            if child.returncode != 0:
                error = (Path(tmp) / f"{kind}.err").read_text(encoding="utf-8")[-2000:]
                raise RuntimeError(f"{kind} failed: {error}")
            figures = json.loads(out.read_text(encoding="utf-8"))
            figures["max_rss_mb_from_wait4"] = round(child.max_rss_mb, 1)
            figures["wall_s"] = round(child.wall_s, 2)
            marks = figures["checkpoints"]
            figures["growth_mb_first_to_last_checkpoint"] = round(
                marks[-1]["rss_mb"] - marks[0]["rss_mb"], 1
            )
            results[kind] = figures
    ours = results["connectory"]
    assert isinstance(ours, dict)
    return {
        "benchmark": "stream",
        "items": items,
        "per_page": per_page,
        "results": results,
        "goal": {
            "peak_limit_mb": PEAK_LIMIT_MB,
            "growth_limit_mb": GROWTH_LIMIT_MB,
            "peak_met": ours["max_rss_mb_from_wait4"] < PEAK_LIMIT_MB,
            "flat_met": ours["growth_mb_first_to_last_checkpoint"] <= GROWTH_LIMIT_MB,
        },
        "machine": machine(),
        "loadavg_start": load_start,
        "loadavg_end": loadavg(),
        "connectory_git": git_state(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if args.child:
        kind, url = args.child
        result = asyncio.run(walk(kind, url, args.items, args.per_page))
        Path(args.json).write_text(json.dumps(result), encoding="utf-8")
        return
    if not SPEC.is_file():
        print(f"SKIPPED: {SPEC} is absent")
        sys.exit(0)
    if args.smoke:
        args.items, args.per_page = 1000, 100
    emit(run(args.items, args.per_page), args.json)


if __name__ == "__main__":
    main()
