"""A consumer of an incremental sync, run in a process of its own by the kill/resume tests.

``python -m tests.capabilities._consumer URL STORE SINK [--crash-at N]``

Syncs ``/tasks`` of the fake vendor at URL under the key "tasks", with its checkpoints in
STORE (a state URL: ``file:///dir``, ``redis://...``), a page at a time. For each page it
appends one line to SINK, the sequence number the commit will carry and the page's
(id, updated_at) pairs, flushes it to disk, and then commits the checkpoint. On start it
drops the lines whose sequence is above the committed one: written, but never committed,
so the sync hands their items out again. That is the sink's side of exactly once: the
sync delivers at least once, the sink keeps only what a commit covers.

``--crash-at N``: SIGKILL itself after writing page N and before committing it.
Prints one JSON line at the end: pages, items and dropped lines of this run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.capabilities._probe import Task, probe_connector


class Sink:
    """Append-only JSON lines ``{"sequence": n, "items": [[id, updated_at], ...]}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        """Every complete line (a line cut short by a kill is not one)."""
        if not self.path.exists():
            return []
        text = self.path.read_text(encoding="utf-8")
        lines = text.split("\n")[:-1]  # the part after the last newline is incomplete
        return [json.loads(line) for line in lines]

    def keep_committed(self, sequence: int) -> int:
        """Drop the lines above `sequence`; returns how many were dropped."""
        records = self.records()
        kept = [r for r in records if r["sequence"] <= sequence]
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        os.replace(temporary, self.path)
        return len(records) - len(kept)

    def append(self, sequence: int, tasks: list[Task]) -> None:
        line = json.dumps({"sequence": sequence, "items": [[t.id, t.updated_at] for t in tasks]})
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(line + "\n")
            sink.flush()
            os.fsync(sink.fileno())


async def consume(url: str, store: str, sink: Sink, crash_at: int | None) -> dict[str, int]:
    pages = items = 0
    async with (
        probe_connector(url) as connector,
        connector.data_service.sync("/tasks", key="tasks", store=store) as sync,
    ):
        committed = sync.committed.sequence if sync.committed else 0
        dropped = sink.keep_committed(committed)
        async for page in sync.pages():
            pages += 1
            items += len(page.items)
            sink.append(sync.pending.sequence, page.items)
            if pages == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            await sync.commit()
    return {"pages": pages, "items": items, "dropped": dropped}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("store")
    parser.add_argument("sink", type=Path)
    parser.add_argument("--crash-at", type=int, default=None)
    args = parser.parse_args()
    summary = asyncio.run(consume(args.url, args.store, Sink(args.sink), args.crash_at))
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
