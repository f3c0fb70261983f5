"""A redis-server on 127.0.0.1 for the shared-state tests, and state backends on it.

With ``redis-server`` installed, the session starts its own on a free port and stops it at
the end. ``CONNECTORY_TEST_REDIS_URL`` points the tests at a running server instead.
Without either, every test here skips with a message saying what to install. Each test
gets a key prefix of its own, and its keys are deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import redis

from connectory.core._redis import RedisStateBackend

URL_VARIABLE = "CONNECTORY_TEST_REDIS_URL"
INSTALL_HINT = f"install redis-server (e.g. apt-get install redis-server) or set {URL_VARIABLE}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a reachable redis-server: the one the environment names, else one this
    session starts (the test skips when neither is possible)."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        client = redis.Redis.from_url(given, socket_connect_timeout=1.0, socket_timeout=2.0)
        try:
            client.ping()
        except redis.RedisError as error:
            pytest.fail(f"{URL_VARIABLE}={given} is not reachable: {error}")
        finally:
            client.close()
        yield given
        return
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(f"no redis-server to test against: {INSTALL_HINT}")
    server = PrivateRedis(executable)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix for this test alone; its keys are deleted afterwards."""
    name = f"connectory-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{name}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client, for looking at what the backend stored."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
async def make_backend(
    redis_url: str, prefix: str
) -> AsyncIterator[Callable[..., RedisStateBackend]]:
    """Makes backends on the test's prefix (each a separate "process" of the same state);
    their connections are closed at the end."""
    made: list[RedisStateBackend] = []

    def make(**options: object) -> RedisStateBackend:
        options.setdefault("prefix", prefix)
        backend = RedisStateBackend(redis_url, **options)  # type: ignore[arg-type]
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server of this test's own, which the test may stop and start again."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10.0
        while True:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.02)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self) -> None:
        """Stop and start again: every key is gone (no persistence)."""
        self.stop()
        self.start()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server started for this test on a free port (skips if none is installed)."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(f"redis-server is not installed: {INSTALL_HINT}")
    server = PrivateRedis(executable)
    server.start()
    yield server
    server.stop()
