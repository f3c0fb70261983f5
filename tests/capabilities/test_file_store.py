"""FileCheckpointStore: the CheckpointStore protocol in files, atomic and locked across
processes; reachable as ``state="file:///dir"``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectory.core import ConfigurationError, ConnectorError, FileCheckpointStore
from connectory.core._filestate import FileStateBackend
from connectory.core.state import state_backend_from_url

PROJECT = Path(__file__).resolve().parents[2]


def test_the_protocol_blocking(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "cp")
    assert store.get_sync("a") is None
    assert store.compare_and_set_sync("a", None, {"n": 1})
    assert not store.compare_and_set_sync("a", None, {"n": 2})
    assert not store.compare_and_set_sync("a", {"n": 0}, {"n": 2})
    assert store.compare_and_set_sync("a", {"n": 1}, {"n": 2})
    assert store.get_sync("a") == {"n": 2}
    store.put_sync("a", [1, "x"])
    assert store.get_sync("a") == [1, "x"]
    store.delete_sync("a")
    assert store.get_sync("a") is None
    store.delete_sync("a")  # deleting nothing is fine
    with pytest.raises(ValueError, match="cannot be None"):
        store.put_sync("a", None)


async def test_the_protocol_async(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path)
    assert await store.compare_and_set("k", None, {"b": 1, "a": 2})
    # compared by canonical encoding: key order does not matter
    assert await store.compare_and_set("k", {"a": 2, "b": 1}, "next")
    assert await store.get("k") == "next"
    await store.put("k", 3)
    await store.delete("k")
    assert await store.get("k") is None


def test_keys_become_safe_file_names(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path)
    store.put_sync("sync:app/../../etc:tasks", 1)
    long_key = "k" * 400
    store.put_sync(long_key, 2)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names[1] == "sync%3Aapp%2F..%2F..%2Fetc%3Atasks.json"
    assert len(names[0]) < 200
    assert store.get_sync(long_key) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ConfigurationError, match="checkpoint key"):
        store.get_sync("")


def test_a_damaged_file_is_named(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path)
    store.path_of("broken").write_text("{not json")
    with pytest.raises(ConnectorError, match=r"broken\.json' does not hold JSON"):
        store.get_sync("broken")


def test_written_files_are_private(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "private")
    store.put_sync("k", 1)
    assert store.path_of("k").stat().st_mode & 0o077 == 0


_INCREMENT = """
import sys
from connectory.core import FileCheckpointStore
store = FileCheckpointStore(sys.argv[1])
for _ in range(int(sys.argv[2])):
    while True:
        current = store.get_sync("counter")
        value = (current or 0) + 1
        if store.compare_and_set_sync("counter", current, value):
            break
"""


def test_compare_and_set_is_atomic_across_processes(tmp_path: Path) -> None:
    processes, each = 4, 60
    workers = [
        subprocess.Popen([sys.executable, "-c", _INCREMENT, str(tmp_path), str(each)], cwd=PROJECT)
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    # a lost update (two processes storing the same next value) would leave less
    assert FileCheckpointStore(tmp_path).get_sync("counter") == processes * each


def test_a_file_url_is_a_state_backend(tmp_path: Path) -> None:
    backend = state_backend_from_url(f"file://{tmp_path}/state")
    assert isinstance(backend, FileStateBackend)
    assert backend is state_backend_from_url(f"file://{tmp_path}/state")  # one per URL
    assert isinstance(backend.checkpoints, FileCheckpointStore)
    assert backend.checkpoints.directory == tmp_path / "state"
    assert backend.url == f"file://{tmp_path}/state"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file://server/share", "a local directory"),
        ("file:relative/dir", "must be an absolute path"),
    ],
)
def test_file_urls_that_name_no_local_directory_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        state_backend_from_url(url)


def test_a_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="cannot use directory"):
        FileCheckpointStore(blocker / "sub")


async def test_the_backend_checks_that_it_can_write(tmp_path: Path) -> None:
    backend = FileStateBackend(tmp_path / "ok")
    await backend.check()
    if os.geteuid() != 0:  # root writes anywhere
        os.chmod(tmp_path / "ok", 0o500)
        with pytest.raises(ConnectorError, match="not writable"):
            await backend.check()
        os.chmod(tmp_path / "ok", 0o700)


def test_temporary_files_of_dead_writers_are_swept(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f".k.json.{finished.stdout.strip()}.0a1b.tmp"
    mine = tmp_path / f".k.json.{os.getpid()}.0a1b.tmp"
    dead.write_text("{")
    mine.write_text("{")
    FileCheckpointStore(tmp_path)
    assert not dead.exists()
    assert mine.exists()  # a live writer's file is left alone
