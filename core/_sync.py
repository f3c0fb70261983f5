"""Running the async core from synchronous code.

A connector used from sync code gets one private event loop on a daemon thread; each sync
call hands a coroutine to it and blocks for the result. One loop per connector keeps the
connection pool, the limiter and the token lock on a single loop, as httpx requires.

Written here (about 40 lines) rather than taken from anyio's blocking portal: the portal's
thread is not a daemon, so a user who forgets `close()` would hang at interpreter exit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class SyncRunner:
    """An event loop on a daemon thread, started on first use."""

    def __init__(self, name: str = "connectory") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=f"{self._name}-sync", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the runner's loop and return its result (or raise its error)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coroutine.close()
            raise RuntimeError(
                "a *_sync method was called from inside a running event loop; "
                "await the async method instead"
            )
        loop = self._ensure_loop()
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    def iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        """Drive an async iterator from sync code, one item per step (still lazy)."""
        try:
            while True:
                try:
                    yield self.run(_anext(iterator))
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None and self._loop is not None and not self._loop.is_closed():
                self.run(aclose())

    @property
    def started(self) -> bool:
        return self._loop is not None

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


async def _anext(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()
