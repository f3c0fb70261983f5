"""Renders BENCHMARKS.md from the stored results of ``python -m bench``.

Every number, ratio and goal verdict here is read or computed from bench/results/*.json;
nothing is typed by hand. A section whose last run failed says so, with the error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Goal = tuple[str, str, str, str]  # figure, goal, measured, verdict
Section = tuple[str, list[Goal]]

HEADER = """# Benchmarks

Every figure below is measured by `python -m bench` (bench/__main__.py), which runs each
benchmark script in `bench/` as a child process, stores its JSON result in
`bench/results/<name>.json` with the exact command, date and duration, and renders this
file from those results. Nothing here is typed by hand: medians, min-max, ratios and the
goal verdicts are computed from the stored numbers. `python -m bench --only NAME[,NAME]`
measures some again and keeps the others; `python -m bench --render` re-renders;
`python -m bench --smoke` checks that every benchmark runs, at tiny sizes, and writes
nothing.

The machine is shared and noisy (2 cores; other test suites run on it at the same time).
So every figure against a peer is a ratio measured in the same run, the two sides
interleaved round by round; the load average at the start and end of each run is given.
"""


def _num(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _span(figures: Mapping[str, Any], digits: int = 1) -> str:
    """ "median (min-max)" of a summary from bench/_stats.py."""
    median, low, high = figures["median"], figures["min"], figures["max"]
    return f"{_num(median, digits)} ({_num(low, digits)}-{_num(high, digits)})"


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _run_line(record: Mapping[str, Any]) -> str:
    result = record.get("result") or {}
    machine = result.get("machine") or {}
    load = []
    if result.get("loadavg_start"):
        load.append(f"load average at start {result['loadavg_start']}")
    end = result.get("loadavg_end") or machine.get("loadavg")
    if end:
        load.append(f"{'at end' if load else 'load average at end'} {end}")
    git = result.get("connectory_git") or result.get("git") or {}
    commit = ""
    if git:
        commit = f"; connectory at `{git.get('commit')}`" + (
            " with uncommitted changes" if git.get("dirty") else ""
        )
    return (
        f"Command: `{record['command']}`. Run {record['date']}, {record['seconds']:.0f} s"
        + (f"; {', '.join(load)}" if load else "")
        + commit
        + "."
    )


# -- sections -------------------------------------------------------------------------------


def _generate(result: Mapping[str, Any]) -> Section:
    timings = result["timings"]
    ratios = result["ratios"]
    rows = []
    for name, t in timings.items():
        rows.append(
            [
                name,
                f"{_num(t['wall_s_median'], 2)} ({_num(min(t['wall_s_runs']), 2)}-"
                f"{_num(max(t['wall_s_runs']), 2)})",
                _num(t["cpu_s_median"], 2),
                _num(t["max_rss_mb_median"]),
                ", ".join(map(str, t["exit_codes"])),
            ]
        )
    ours = result["connectory"]["report"]
    peer = result["peer"]["warnings"]
    lines = [
        f"Spec `{result['spec']}` ({_num(result['spec_operations'])} operations), "
        f"{result['rounds']} rounds after one untimed warm-up of each generator, the order "
        "reversed every other round. Each run is a child process from an empty output "
        "folder; CPU time and peak RSS come from its `os.wait4` rusage (ruff, run by both "
        "generators, included). Peer: openapi-python-client "
        f"{result['peer_version']}, default config and `literal_enums: true`.",
        "",
        _table(["generator", "wall s, median (min-max)", "CPU s", "peak RSS MB", "exit"], rows),
        "",
    ]
    goals: list[Goal] = []
    degraded_ours = int(ours["operations_degraded"])
    warned = int(peer["operations_warned"])
    for variant in [v for v in timings if v != "connectory"]:
        wall = ratios[f"wall_{variant}_over_ours"]
        rss = ratios[f"rss_{variant}_over_ours"]
        lines.append(
            f"- {variant}: peer/connectory wall **{wall:.2f}x**, CPU "
            f"**{ratios[f'cpu_{variant}_over_ours']:.2f}x**, peak RSS **{rss:.2f}x**."
        )
        goals.append(
            (
                f"1. generate GitHub, time vs {variant}",
                "≤ 0.1x the peer's",
                f"{1 / wall:.2f}x (peer {wall:.2f}x ours)",
                _verdict(1 / wall <= 0.1),
            )
        )
        goals.append(
            (
                f"1. generate GitHub, peak RSS vs {variant}",
                "a fraction (≤ 0.5x)",
                f"{1 / rss:.2f}x",
                _verdict(1 / rss <= 0.5),
            )
        )
    dropped = peer["operations_not_generated"]
    lines += [
        "",
        f"Operations degraded: connectory **{degraded_ours}** (its coverage report's "
        f"`operations_degraded`); the peer (default config) warns about **{warned}** "
        f"operations ({peer['share_of_spec_operations'] * 100:.1f} %), drops {len(dropped)} "
        f"({', '.join(f'`{d}`' for d in dropped) or 'none'}), and reports "
        f"{peer['schemas_dropped']} component schemas it could not build; "
        f"{result['peer']['endpoint_modules']['without_2xx_branch_in_parse_response']} of its "
        f"{result['peer']['endpoint_modules']['total']} endpoint modules parse no 2xx body; "
        f"files that do not parse: "
        f"{', '.join(result['peer']['endpoint_modules']['syntax_errors']) or 'none'}.",
    ]
    goals.append(
        (
            "1. generate GitHub, operations degraded",
            "fewer than the peer",
            f"{degraded_ours} vs {warned}",
            _verdict(degraded_ours < warned),
        )
    )
    return "\n".join(lines), goals


def where_degraded(result: Mapping[str, Any]) -> str:
    """The specs with degraded operations, and how many in each."""
    found = []
    for name, spec in result.get("per_spec", {}).items():
        count = int(spec.get("ours", {}).get("operations_degraded") or 0)
        if count:
            found.append(f"{name} {count}")
    return ", ".join(found)


def _corpus(result: Mapping[str, Any]) -> Section:
    ours = result["ours"]
    peers = result.get("peer") or {}
    ratios = result.get("ratios_peer_over_ours") or {}
    graph_name = "microsoft_graph"
    columns = ["connectory", *peers]
    gen = ours["generate"]

    def graph(figures: Mapping[str, Any] | None) -> str:
        if not figures:
            return "—"
        state = " **timed out**" if figures.get("timed_out") else ""
        if figures.get("exit_code") not in (0, None) and not figures.get("timed_out"):
            state = f" exit {figures['exit_code']}"
        return f"{_num(figures['wall_s'])} s / {_num(figures['max_rss_mb'])} MB{state}"

    def row(
        label: str, mine: object, theirs: Callable[[Mapping[str, Any]], object]
    ) -> list[object]:
        return [label, mine, *(theirs(p) for p in peers.values())]

    def peak(figures: Mapping[str, Any]) -> str:
        return f"{_num(figures['max_rss_mb'])} ({figures['spec']})"

    failed = len(ours["failures"]["generate"])
    rows = [
        row("specs, exit status 0", ours["specs_generated"], lambda p: p["specs_exit_0"]),
        row("crashes (non-zero exit, traceback, timeout)", failed, lambda p: p["crashes"]),
        row("specs with no package written", failed, lambda p: len(p["specs_without_package"])),
        row("wall time, total s", _num(gen["wall_s_total"]), lambda p: _num(p["wall_s_total"])),
        row("CPU time, total s", _num(gen["cpu_s_total"]), lambda p: _num(p["cpu_s_total"])),
        row("largest peak RSS, MB (spec)", peak(gen["peak_rss"]), lambda p: peak(p["peak_rss"])),
        row(
            "microsoft-graph: wall / peak RSS",
            graph(gen.get(graph_name)),
            lambda p: graph(p.get(graph_name)),
        ),
        row(
            "operations degraded (ours) / warned about (peer)",
            _num(ours["operations"]["degraded"]),
            lambda p: _num(p["operations_warned"]),
        ),
        row("of which not generated at all", 0, lambda p: _num(p["operations_not_generated"])),
        row(
            "operations in specs with no package",
            0,
            lambda p: _num(p["operations_in_specs_without_package"]),
        ),
    ]
    lines = [
        f"Every spec in `../shared/specs/business/*.json`: {_num(result['specs'])} specs, "
        f"{_num(result['spec_operations'])} operations, one run ({result['started']} to "
        f"{result['finished']}). Per spec, ours and the peer's two configs run one after the "
        "other as child processes, their order rotated from spec to spec; a child is killed "
        f"after {_num(result['timeout_s'], 0)} s and counted as a crash. Then each of our "
        "packages is imported (every name of `__all__` and `models.__all__`).",
        "",
        _table(["", *columns], rows),
        "",
        f"Our packages imported with every name resolved: {ours['specs_imported']} / "
        f"{ours['specs']}. Typed operations: {_num(ours['operations']['typed'])}; untyped "
        f"(the spec gives no type): {_num(ours['operations']['untyped'])}; degraded: "
        f"{_num(ours['operations']['degraded'])} ({where_degraded(result) or 'none'}).",
        "",
    ]
    goals: list[Goal] = []
    for variant, r in ratios.items():
        if not r:
            continue
        lines.append(
            f"- {variant} / connectory: wall, corpus totals **{r['wall_total']:.2f}x** "
            f"(median of per-spec ratios {r['wall_per_spec_median']:.2f}x); CPU "
            f"{r['cpu_total']:.2f}x; largest peak RSS **{r['max_rss']:.2f}x** (median per spec "
            f"{r['rss_per_spec_median']:.2f}x); {r['specs_compared']} specs compared."
        )
        goals.append(
            (
                f"1. generate corpus, time vs {variant}",
                "≤ 0.1x the peer's",
                f"{1 / r['wall_total']:.2f}x (totals)",
                _verdict(1 / r["wall_total"] <= 0.1),
            )
        )
        goals.append(
            (
                f"1. generate corpus, largest peak RSS vs {variant}",
                "a fraction (≤ 0.5x)",
                f"{1 / r['max_rss']:.2f}x",
                _verdict(1 / r["max_rss"] <= 0.5),
            )
        )
        peer = peers[variant]
        goals.append(
            (
                f"1. generate corpus, operations degraded vs {variant}",
                "fewer than the peer",
                f"{ours['operations']['degraded']} vs {peer['operations_warned']}",
                _verdict(int(ours["operations"]["degraded"]) < int(peer["operations_warned"])),
            )
        )
        ours_graph, peer_graph = gen.get(graph_name), peer.get(graph_name)
        if ours_graph and peer_graph:
            ratio = ours_graph["wall_s"] / peer_graph["wall_s"]
            rss = ours_graph["max_rss_mb"] / peer_graph["max_rss_mb"]
            bound = " (the peer timed out: a bound)" if peer_graph.get("timed_out") else ""
            goals.append(
                (
                    f"1. generate microsoft-graph, time vs {variant}",
                    "≤ 0.1x the peer's",
                    f"{ratio:.3f}x{bound}; RSS {rss:.2f}x",
                    _verdict(ratio <= 0.1),
                )
            )
    crashed = {v: p["crashed_specs"] for v, p in peers.items() if p["crashed_specs"]}
    if crashed:
        lines += ["", "The peer's crashes:", ""]
        for variant, specs in crashed.items():
            for spec, why in specs.items():
                lines.append(f"- {variant}, {spec}: {str(why)[:220]}")
    return "\n".join(lines), goals


def _pipeline(result: Mapping[str, Any]) -> Section:
    rows = []
    goals: list[Goal] = []
    for case, figures in result["cases"].items():
        where, items = case.rsplit("_", 1)
        transport = "MockTransport" if where == "mock" else "server on 127.0.0.1"
        us = figures["us_per_request"]
        ratio = figures["ratio_over_bare"]
        rows.append(
            [
                transport,
                items,
                _span(us["bare_httpx"]),
                _span(us["connectory"]),
                _span(ratio["connectory"], 3),
                _span(us["connectory_no_telemetry"]),
                _span(ratio["connectory_no_telemetry"], 3),
            ]
        )
        goals.append(
            (
                f"2. typed list call, {transport}, {items} item(s)/page",
                "≤ 1.05x bare httpx",
                f"{ratio['connectory']['median']:.2f}x (telemetry off "
                f"{ratio['connectory_no_telemetry']['median']:.2f}x)",
                _verdict(float(ratio["connectory"]["median"]) <= 1.05),
            )
        )
    profile = result["profile"]
    ours = profile["profiles"]["connectory"]
    bare = profile["profiles"]["bare_httpx"]
    lines = [
        'connectory: `await github.repos.list_for_org("octo", per_page=N).first_page()` on '
        "the shipped `GitHubConnector` (bearer auth, rate limiter with three windows active "
        "but never waiting, retry wrapper, metrics, error mapping, pager, decoding into "
        "`MinimalRepository`), as built by default (OpenTelemetry hooks on: opentelemetry-api "
        "is installed, no SDK configured) and with `telemetry=False`. Bare httpx: "
        "`client.get(...)`, `raise_for_status()`, `response.json()` with the same headers. "
        f"{result['rounds']} rounds of {_num(result['requests_per_round'])} sequential calls "
        "per client, order rotated; µs per call, median (min-max) over rounds; ratios taken "
        "round by round.",
        "",
        _table(
            [
                "transport",
                "items/page",
                "bare httpx µs",
                "connectory µs",
                "ratio",
                "telemetry off µs",
                "ratio",
            ],
            rows,
        ),
        "",
        f"Where the time goes (cProfile, MockTransport, 1 item, {_num(profile['requests'])} "
        f"calls each; own time per call scaled to the unprofiled total): connectory "
        f"{_num(ours['us_per_request_unprofiled'])} µs against bare httpx "
        f"{_num(bare['us_per_request_unprofiled'])} µs. Own time that connectory spends beyond "
        "bare httpx, by module (µs per call):",
        "",
        _table(
            ["module", "extra µs"],
            [[f"`{m}`", _num(v)] for m, v in list(profile["extra_by_module_us"].items())[:10]],
        ),
        "",
        "connectory's top functions by own time (µs per call):",
        "",
        _table(
            ["function", "own µs", "cumulative µs", "calls per request"],
            [
                [
                    f"`{row['function']}`",
                    _num(row["own_us"]),
                    _num(row["cumulative_us"]),
                    _num(row["calls"]),
                ]
                for row in ours["top_functions"][:12]
            ],
        ),
    ]
    return "\n".join(lines), goals


def _throughput(result: Mapping[str, Any]) -> Section:
    rps = result["requests_per_second"]
    ratio = result["ratio_connectory_over_bare"]
    lines = [
        f"{result['tasks']} tasks share {_num(result['requests_per_round'])} requests to the "
        "benchmark server on 127.0.0.1 (a child process), one item per page: connectory's "
        "typed `list_for_org(...).first_page()` with limits far above what is reached, "
        "against bare httpx `get` + `json()`; httpx's default pool on both. "
        f"{result['rounds']} rounds, order reversed every other round.",
        "",
        _table(
            ["client", "requests/s, median (min-max)"],
            [[name, _span(figures)] for name, figures in rps.items()],
        ),
        "",
        f"connectory / bare, round by round: **{_span(ratio, 3)}**. The server counted "
        f"{_num(result['arrivals_counted_at_server'])} arrivals in the timed rounds; the "
        f"limiter waited {result['limiter_waits']} times.",
    ]
    goal = (
        "3. throughput, 100 tasks, real server",
        "≥ 0.9x bare httpx",
        f"{ratio['median']:.2f}x",
        _verdict(float(ratio["median"]) >= 0.9),
    )
    return "\n".join(lines), [goal]


def _decode(result: Mapping[str, Any]) -> Section:
    rows = []
    goals: list[Goal] = []
    for page in result["pages"]:

        def us(name: str, page: Mapping[str, Any] = page) -> str:
            f = page.get(name)
            if not f:
                return "—"
            return f"{f['median_us']:.2f} ({f['min_us']:.2f}-{f['max_us']:.2f})"

        peer_ratio = page.get("ratio_peer_to_ours")
        msgspec_ratio = page["ratio_ours_to_msgspec"]
        json_ratio = page.get("ratio_json_to_msgspec")
        path = {True: " (msgspec path)", False: " (lenient path)"}.get(page.get("fast_path"), "")
        rows.append(
            [
                page["page"] + path,
                us("connectory"),
                us("peer"),
                us("msgspec"),
                us("json_only"),
                f"{peer_ratio:.2f}" if peer_ratio is not None else "—",
                f"{msgspec_ratio:.2f}",
                f"{json_ratio:.2f}" if json_ratio is not None else "—",
            ]
        )
        if peer_ratio is not None:
            goals.append(
                (
                    f"4. decode {page['page']}, vs peer",
                    "≥ 3x faster",
                    f"{peer_ratio:.2f}x",
                    _verdict(peer_ratio >= 3),
                )
            )
        goals.append(
            (
                f"4. decode {page['page']}, vs msgspec",
                "within 2x",
                f"{msgspec_ratio:.2f}x msgspec's time",
                _verdict(msgspec_ratio <= 2),
            )
        )
    lines = [
        f"From `bench/bench_decode.py`: pages of {_num(result['items'])} items, bytes to typed "
        f"objects, {result['rounds']} rounds, the decoders in an order shuffled each round "
        f"(seeded). Peer: {result['peer']} "
        f"(`from_dict` on `json.loads`); msgspec {result['msgspec']} (`msgspec.json.decode` "
        "into Structs made from the same schemas); JSON alone is `orjson.loads` of the same "
        "bytes, without types: the floor of any decoder that parses first and builds its "
        "objects after. µs per item, median (min-max); ratios per round, median.",
        "",
        _table(
            [
                "page",
                "connectory µs",
                "peer µs",
                "msgspec µs",
                "JSON alone µs",
                "peer / ours",
                "ours / msgspec",
                "JSON alone / msgspec",
            ],
            rows,
        ),
    ]
    return "\n".join(lines), goals


def _import(result: Mapping[str, Any]) -> Section:
    ms = result["ms"]
    ratios = result["ratios"]
    rows = [
        [name, f"`{'; '.join(result['code'][name].splitlines())[:90]}`", _span(figures)]
        for name, figures in ms.items()
    ]
    labels = list(result["specs"])
    goals: list[Goal] = []
    lines = [
        "Fresh processes with cached bytecode, timed inside around the imports only "
        f"(interpreter start-up excluded); {result['repeats']} rounds, order rotated; "
        "packages generated from the full specs "
        + ", ".join(f"`{spec}`" for spec in result["specs"].values())
        + ". `ours_<spec>`: `import connectory.core`, the package and its connector class; "
        "`peer_<spec>`: the peer's `AuthenticatedClient` and the endpoint module of a list call "
        "(which imports its models).",
        "",
        _table(["what", "code timed", "ms, median (min-max)"], rows),
        "",
    ]
    for label in labels:
        over = ratios[f"ours_{label}_over_deps"]
        peer = ratios[f"peer_{label}_over_ours_{label}"]
        lines.append(
            f"- {label}: ours / `import httpx, attrs` **{_span(over, 2)}**; peer / ours "
            f"**{_span(peer, 2)}**."
        )
        goals.append(
            (
                f"5. import {label} connector",
                "≤ 1.3x `import httpx, attrs`",
                f"{over['median']:.2f}x (peer / ours {peer['median']:.2f}x)",
                _verdict(float(over["median"]) <= 1.3),
            )
        )
    if "ours_stripe_over_ours_github" in ratios:
        flat = ratios["ours_stripe_over_ours_github"]
        lines.append(f"- Stripe / GitHub, ours: **{_span(flat, 2)}**.")
        goals.append(
            (
                "5. import, flat in spec size",
                "Stripe within 10 % of GitHub",
                f"{flat['median']:.2f}x",
                _verdict(abs(float(flat["median"]) - 1) <= 0.1),
            )
        )
    top = result["importtime_connectory_core"]
    lines += [
        "",
        '`python -X importtime -c "import connectory.core"`, most own time (one process):',
        "",
        _table(
            ["module", "own ms", "cumulative ms"],
            [
                [
                    f"`{r['module']}`",
                    f"{r['own_us'] / 1000:.1f}",
                    f"{r['cumulative_us'] / 1000:.1f}",
                ]
                for r in top
            ],
        ),
    ]
    return "\n".join(lines), goals


def _ratelimit(result: Mapping[str, Any]) -> Section:
    rows = []
    goals: list[Goal] = []
    for key, label in (("single_process", "one process"), ("redis_shared", "shared via Redis")):
        r = result[key]
        if "skipped" in r:
            rows.append([label, "—", "—", "—", "—", r["skipped"]])
            continue
        if key == "single_process":
            who = f"{r['tasks']} tasks"
        else:
            who = (
                f"{r['workers']} processes x {r['tasks_per_worker']} tasks "
                f"(calls per process {r['calls_per_worker']})"
            )
        achieved = (
            f"{r['achieved_rate']:.2f} ({r['arrivals_in_measured_span']} in {r['seconds']:.0f} s)"
        )
        rows.append(
            [
                label,
                who,
                r["limit_per_second"],
                achieved,
                f"{r['rate_over_limit']:.3f}",
                r["busiest_1s_window"],
            ]
        )
        goals.append(
            (
                f"6. rate limit, {label}",
                "rate within 2 % of the limit, no 1 s window above it",
                f"{r['rate_over_limit']:.3f}x the limit; busiest window "
                f"{r['busiest_1s_window']} / {r['limit_per_second']}",
                _verdict(bool(r["within_2_percent"]) and bool(r["never_above"])),
            )
        )
    lines = [
        "Counted at the server (bench/_server.py stamps every arrival with `time.monotonic()`). "
        "Achieved rate: arrivals in the measured span after the first arrival, divided by its "
        "length; busiest window: the most arrivals in any [t, t + 1 s) over all arrivals. "
        "openapi-python-client has no rate limiting, so the comparison is with the limit.",
        "",
        _table(
            ["run", "clients", "limit /s", "achieved /s", "achieved / limit", "busiest 1 s window"],
            rows,
        ),
    ]
    return "\n".join(lines), goals


def _state(result: Mapping[str, Any]) -> Section:
    if "skipped" in result:
        return f"Not measured: {result['skipped']}.", []
    backends = result["backends"]
    rows = [
        [name, _num(figures["median_us"]), f"{_num(figures['min_us'])}-{_num(figures['max_us'])}"]
        for name, figures in backends.items()
    ]
    lines = [
        "What sharing the rate limit through Redis costs each request: one `RateLimiter` "
        "acquire plus release under three active windows (second, minute, day), limits high "
        "enough never to wait. Each repeat takes the median of "
        f"{result['iterations']} iterations; the table gives the median of the "
        f"{result['repeats']} repeats and their range. The Redis is a private redis-server "
        f"{result['redis_server']} on 127.0.0.1 (redis-py {result['redis_py']}), so the "
        "figure is mostly one loopback round trip per acquire and per release.",
        "",
        _table(["backend", "median µs", "min-max µs"], rows),
        "",
        f"Redis adds **{_num(result['redis_overhead_us'])} µs** per request.",
    ]
    return "\n".join(lines), []


def _stream(result: Mapping[str, Any]) -> Section:
    rows = []
    for name, figures in result["results"].items():
        marks = "; ".join(
            f"{_num(m['items'])}: {_num(m['rss_mb'])} MB at {_num(m['seconds'])} s"
            for m in figures["checkpoints"]
        )
        rows.append(
            [
                name,
                marks,
                _num(figures["growth_mb_first_to_last_checkpoint"]),
                _num(figures["max_rss_mb_from_wait4"]),
            ]
        )
    goal = result["goal"]
    ours = result["results"]["connectory"]
    lines = [
        f"{_num(result['items'])} `SimpleUser` items in pages of {result['per_page']} from the "
        "benchmark server on 127.0.0.1, linked by `Link` headers; each client in a fresh child "
        "process: connectory `async for user in github.orgs.list_members(...)`, and, for "
        "reference, bare httpx following `response.links`. RSS (VmRSS) at 10 %, 50 % and "
        "100 % of the items; peak from `os.wait4`.",
        "",
        _table(["client", "RSS at items seen", "growth MB", "peak RSS MB"], rows),
    ]
    goals: list[Goal] = [
        (
            "7. streaming 1M items, peak RSS",
            f"< {goal['peak_limit_mb']:.0f} MB",
            f"{ours['max_rss_mb_from_wait4']:.1f} MB",
            _verdict(bool(goal["peak_met"])),
        ),
        (
            "7. streaming, growth 100k → 1M items",
            f"≤ {goal['growth_limit_mb']:.0f} MB (flat)",
            f"{ours['growth_mb_first_to_last_checkpoint']:.1f} MB",
            _verdict(bool(goal["flat_met"])),
        ),
    ]
    return "\n".join(lines), goals


def _install(result: Mapping[str, Any]) -> Section:
    variants = result["variants"]
    rows = []
    for name, v in variants.items():
        rows.append(
            [
                name,
                _span(v["install_seconds"], 2),
                f"{v['installed_bytes'] / 2**20:.1f}",
                _num(v["installed_files"]),
                len(v["distributions"]),
                _span(v["cold_start_ms"]),
                _span(v["interpreter_start_ms"]),
            ]
        )
    lines = [
        "Fresh venvs (`python -m venv --without-pip`) in a temporary folder; "
        f"`pip --python <venv> install` (pip {result['pip']}, bytecode compiled); one untimed "
        f"install of each first (fills pip's cache), then {result['rounds']} timed rounds, "
        "order reversed every other round. Installed size: disk bytes and files added to the "
        "venv's site-packages. Cold start: wall time of a fresh `python -c` that imports the "
        f"client and builds it, median of {result['starts']} (interpreter start-up alone "
        "beside it). `connectory_*`: wheels from `python scripts/build_wheels.py` "
        "(`connectory_runtime` is the runtime alone, its cold start `import connectory.core`); "
        "`peer_github`: the project openapi-python-client generates for the full GitHub spec; "
        "`openai`: from the package registry (a Stainless-generated SDK).",
        "",
        _table(
            [
                "install",
                "pip install s",
                "installed MB",
                "files",
                "distributions",
                "cold start ms",
                "interpreter alone ms",
            ],
            rows,
        ),
    ]
    goals: list[Goal] = []
    ours = variants.get("connectory_github")
    lines.append("")
    for other in ("peer_github", "openai"):
        if ours and other in variants:
            size = ours["installed_bytes"] / variants[other]["installed_bytes"]
            start = ours["cold_start_ms"]["median"] / variants[other]["cold_start_ms"]["median"]
            lines.append(
                f"- connectory_github / {other}: installed bytes **{size:.2f}x**, cold start "
                f"**{start:.2f}x**."
            )
            goals.append(
                (
                    f"8. install size / cold start vs {other}",
                    "(no goal set: reported)",
                    f"size {size:.2f}x, cold start {start:.2f}x",
                    "—",
                )
            )
    return "\n".join(lines), goals


SECTIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Section]]] = {
    "generate": ("1. Generation: the GitHub spec", _generate),
    "corpus": ("1. Generation: the whole business corpus (microsoft-graph included)", _corpus),
    "pipeline": ("2. Request overhead: a typed list call against bare httpx", _pipeline),
    "throughput": ("3. Throughput: 100 concurrent tasks against a real local server", _throughput),
    "decode": ("4. Decoding: bytes to typed models", _decode),
    "import": ("5. Import time", _import),
    "ratelimit": ("6. Rate-limiter precision, counted at the server", _ratelimit),
    "state": ("6b. Shared state: the cost of a Redis-backed limiter per request", _state),
    "stream": ("7. Streaming memory: 1,000,000 items over 10,000 pages", _stream),
    "install": ("8. Installed size, install time and cold start", _install),
}


def _section(name: str, record: Mapping[str, Any] | None) -> Section:
    title, build = SECTIONS[name]
    head = f"## {title}\n\n"
    if record is None:
        return head + f"Not measured yet: run `python -m bench --only {name}`.", []
    if "result" not in record:
        why = record.get("skipped") or record.get("error") or "no result"
        todo = ""
        if name == "decode":
            todo = (
                "TODO: this figure comes from `bench/bench_decode.py`; it did not produce a "
                "result in the last run, so no decoding figure is claimed here.\n\n"
            )
        return (
            head + todo + f"Not measured: the last run (`{record['command']}`, {record['date']}) "
            f"gave no result, exit {record.get('exit_code')}:\n\n```\n{why}\n```",
            [(f"{title.split('.')[0]}. {name}", "—", "not measured", "**not measured**")],
        )
    try:
        body, goals = build(record["result"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
        body = f"The stored result could not be rendered ({type(error).__name__}: {error})."
        goals = []
    return head + body + "\n\n" + _run_line(record), goals


def render(records: Mapping[str, Mapping[str, Any]], order: Sequence[str]) -> str:
    sections: list[str] = []
    goals: list[Goal] = []
    for name in order:
        text, found = _section(name, records.get(name))
        sections.append(text)
        goals += found
    machines = [
        r["result"]["machine"]
        for r in records.values()
        if isinstance(r.get("result"), dict) and "machine" in r["result"]
    ]
    facts = ""
    if machines:
        m = machines[-1]
        dates = sorted(str(r["date"]) for r in records.values())
        facts = (
            f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gb']} GB, {m['system']}, "
            f"CPython {m['python']}. Runs from {dates[0]} to {dates[-1]}.\n\n"
        )
    summary = _table(["figure", "goal", "measured", "verdict"], goals)
    return (
        HEADER
        + "\n"
        + facts
        + "## Goals\n\nRatios are connectory / peer unless the row says otherwise.\n\n"
        + summary
        + "\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
