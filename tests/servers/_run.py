"""Start a test server in a child process and talk to its control port.

The server runs in its own process, ``python -m tests.servers._child``, so that its
timing never waits on the GIL or the event loop of the client under test. It is a fresh
interpreter rather than a multiprocessing "spawn" child because spawn re-runs the
parent's main script in the child, which breaks scripts without a ``__main__`` guard and
makes every start pay for importing pytest again.

The control port is read with the standard library's `http.client` rather than httpx, so
a test that mocks httpx (respx) cannot intercept the bookkeeping by accident.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import pickle
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._app import HOST, ServerSpec
from ._records import Recording

__all__ = ["RunningServer", "ServerStartError", "run_server"]

_STOP_GRACE = 3.0  # seconds a server gets to stop before it is terminated, then killed
# The directory holding the `tests` package, which the server process must import.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ServerStartError(RuntimeError):
    """The server process did not come up (it failed, died, or took too long)."""


class RunningServer:
    """A started server: where to reach it and how to read what it recorded."""

    def __init__(self, spec: ServerSpec, port: int, control_port: int, pid: int | None) -> None:
        self.spec = spec
        self.host = HOST
        self.port = port
        self.control_port = control_port
        self.pid = pid
        self.url = f"http://{HOST}:{port}"

    def __repr__(self) -> str:
        return f"RunningServer({type(self.spec).__name__}, url={self.url!r}, pid={self.pid})"

    def recording(self) -> Recording:
        """Everything recorded so far (a snapshot; call again for later arrivals)."""
        return Recording.from_json(self._control("GET", "/_control/recording"))

    async def arecording(self) -> Recording:
        """`recording` without blocking the calling event loop."""
        return await asyncio.to_thread(self.recording)

    def reset(self) -> None:
        """Forget every arrival and start the scenario afresh from its spec."""
        self._control("POST", "/_control/reset")

    async def areset(self) -> None:
        await asyncio.to_thread(self.reset)

    def _control(self, method: str, path: str, timeout: float = 10.0) -> Any:
        connection = http.client.HTTPConnection(HOST, self.control_port, timeout=timeout)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            raise RuntimeError(f"control {method} {path}: {response.status} {body[:200]!r}")
        return json.loads(body) if body else None


@contextlib.contextmanager
def run_server(spec: ServerSpec, *, startup_timeout: float = 10.0) -> Iterator[RunningServer]:
    """Run the server `spec` describes in a child process for the ``with`` block.

    `spec` must be picklable and importable by its module name from the project root
    (every spec class in `tests.servers` is). Raises `ServerStartError` when the process
    fails to start or does not answer on its control port within `startup_timeout`
    seconds. On exit the process is told to stop, then terminated, then killed.
    """
    payload = pickle.dumps(spec)
    python_path = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.servers._child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=_PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": python_path},
        bufsize=0,
    )
    ready = False
    try:
        stdin, stdout = process.stdin, process.stdout
        if stdin is None or stdout is None:  # Both are pipes: cannot happen.
            raise ServerStartError("the server process has no stdin or stdout pipe")
        stdin.write(payload)
        stdin.flush()
        server = _await_ready(spec, process, stdout, startup_timeout)
        ready = True
        yield server
    finally:
        _stop(process, graceful=ready)


def _await_ready(
    spec: ServerSpec, process: subprocess.Popen[bytes], stdout: IO[bytes], timeout: float
) -> RunningServer:
    deadline = time.monotonic() + timeout
    what = f"test server {spec!r}"
    line = _read_line(stdout, deadline)
    if line is None:
        raise ServerStartError(f"{what} did not report its ports within {timeout:.1f} s")
    if not line:
        process.wait(1.0)
        raise ServerStartError(
            f"{what} exited before it was ready (exit code {process.returncode});"
            " its stderr is in the captured output"
        )
    message = json.loads(line)
    if "error" in message:
        raise ServerStartError(f"{what} failed to start:\n{message['error']}")
    server = RunningServer(spec, message["port"], message["control_port"], process.pid)
    # The ports listen once reported; this proves the loop that serves them is running.
    while True:
        try:
            server._control("GET", "/_control/ping", timeout=max(deadline - time.monotonic(), 0.1))
            return server
        except OSError as error:
            if time.monotonic() >= deadline:
                raise ServerStartError(f"{what} does not answer on its control port") from error
            time.sleep(0.05)


def _read_line(stream: IO[bytes], deadline: float) -> bytes | None:
    """One line from `stream` by `deadline` (b"" at end of file; None when time runs out)."""
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            if not selector.select(max(deadline - time.monotonic(), 0.0)):
                return None
            chunk = stream.read(1)
            if not chunk:
                return b""
            line += chunk
    return line


def _stop(process: subprocess.Popen[bytes], *, graceful: bool) -> None:
    """Close stdin (the stop signal), then terminate, then kill; always reap the process.

    A server that never became ready may be stuck anywhere: it is terminated at once.
    """
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    steps = (
        (None, process.terminate, process.kill) if graceful else (process.terminate, process.kill)
    )
    for escalate in steps:
        if escalate is not None:
            escalate()
        try:
            process.wait(_STOP_GRACE)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        process.stdout.close()
    if process.returncode is None:
        process.wait()
