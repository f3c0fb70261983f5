"""An incremental sync in a process of its own, killed with SIGKILL and resumed in another:
across the runs, the consumer's sink holds every changed item exactly once.

The fake vendor filters by updated-since inclusively, has four items per timestamp (ties
straddle page boundaries) and changes items while the runs go on. Each run is
`tests.capabilities._consumer`: it writes a page to its sink, then commits the checkpoint;
on start it drops sink lines above the committed sequence (see its docstring). The runs:
one killed from outside at whatever moment it has reached, one that kills itself between
writing a page and committing it, then runs to the end until one finds nothing new.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connectory.core import Checkpoint
from connectory.core.state import state_backend_from_url
from tests.capabilities._consumer import Sink
from tests.capabilities._servers import ChangesSpec
from tests.servers import run_server

PROJECT = Path(__file__).resolve().parents[2]
KEY = "sync:capability_probe:tasks"
SPEC = ChangesSpec(
    count=240,
    per_stamp=4,
    page_size=7,
    delay=0.04,
    changes=(
        (4, ("t001", "t002", "t100")),
        (12, ("t050", "t003", "t239")),
        (22, ("t200", "t001")),
        (30, ("t010", "t011", "t012", "t013")),
    ),
)


def _command(url: str, store: str, sink: Path, crash_at: int | None = None) -> list[str]:
    command = [sys.executable, "-m", "tests.capabilities._consumer", url, store, str(sink)]
    return command if crash_at is None else [*command, "--crash-at", str(crash_at)]


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _kill_midway(url: str, store: str, sink: Path, lines: int) -> None:
    """Start a run and SIGKILL it once its sink has `lines` more lines."""
    before = len(Sink(sink).records())
    process = subprocess.Popen(
        _command(url, store, sink),
        cwd=PROJECT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while process.poll() is None and len(Sink(sink).records()) < before + lines:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]


def _run(url: str, store: str, sink: Path, crash_at: int | None = None) -> dict[str, Any]:
    completed = subprocess.run(
        _command(url, store, sink, crash_at),
        cwd=PROJECT,
        env=_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if crash_at is not None:
        assert completed.returncode == -signal.SIGKILL, completed.stderr.decode()[-2000:]
        return {}
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    summary: dict[str, Any] = json.loads(completed.stdout.decode().splitlines()[-1])
    return summary


def _stored(store: str) -> Checkpoint:
    stored = state_backend_from_url(store).checkpoints.get_sync(KEY)
    assert stored is not None
    return Checkpoint.from_json(stored)


def _kill_and_resume(store: str, sink: Path, figures: dict[str, Any], name: str) -> None:
    with run_server(SPEC) as server:
        _kill_midway(server.url, store, sink, lines=6)
        killed = _stored(store)
        assert killed.in_listing  # it died in the middle of the listing
        assert killed.sequence >= 1

        _run(server.url, store, sink, crash_at=3)  # dies between a sink write and its commit
        crashed = _stored(store)
        assert crashed.sequence == killed.sequence + 2  # pages 1 and 2 committed, not 3
        assert crashed.in_listing

        runs = [_run(server.url, store, sink)]
        while runs[-1]["items"] and len(runs) < 5:
            runs.append(_run(server.url, store, sink))
        assert runs[-1]["items"] == 0  # the last run found nothing new
        final = _stored(store)
        state = server.recording().state

    assert not final.in_listing
    assert state["list_requests"] >= max(at for at, _ in SPEC.changes)  # every change happened
    records = Sink(sink).records()
    assert [r["sequence"] for r in records] == sorted({r["sequence"] for r in records})
    assert records[-1]["sequence"] <= final.sequence  # the sink holds only committed pages
    delivered = [(task, stamp) for r in records for task, stamp in r["items"]]
    counts = Counter(delivered)
    duplicates = {pair: n for pair, n in counts.items() if n > 1}
    current = {(task, stamp) for task, stamp in state["now"].items()}
    lost = current - set(counts)
    invented = {(t, s) for t, s in counts if s not in state["versions"].get(t, ())}
    assert duplicates == {}
    assert lost == set()
    assert invented == set()
    changed_twice = sum(len(v) > 1 for v in state["versions"].values())
    figures[name] = {
        "items_now": len(current),
        "changed_items": changed_twice,
        "delivered": len(delivered),
        "duplicates": len(duplicates),
        "lost": len(lost),
        "runs": 2 + len(runs),
        "redelivered_after_crash": sum(r["dropped"] for r in runs),
        "final_sequence": final.sequence,
    }
    # what was redelivered is exactly what the crashed run wrote without committing
    assert runs[0]["dropped"] >= 1


def test_file_checkpoints_survive_sigkill_without_loss_or_repeats(
    tmp_path: Path, figures: dict[str, Any]
) -> None:
    store = f"file://{tmp_path / 'checkpoints'}"
    _kill_and_resume(store, tmp_path / "sink.jsonl", figures, "kill_resume_file_store")
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))  # no temporary file left over


@pytest.mark.redis
def test_redis_checkpoints_survive_sigkill_without_loss_or_repeats(
    tmp_path: Path, figures: dict[str, Any], redis_url: str
) -> None:
    import redis

    url = redis_url
    prefix = f"connectory-test-{uuid.uuid4().hex[:12]}"
    store = f"{url}?prefix={prefix}"
    try:
        _kill_and_resume(store, tmp_path / "sink.jsonl", figures, "kill_resume_redis_store")
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
