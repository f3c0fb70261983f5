"""Checkpoints in files: a `CheckpointStore` for one machine, shared by its processes.

One JSON file per key in a directory (the key percent-encoded into the file name, with a
digest when it is long), holding the value's canonical encoding, so compare-and-set
compares bytes as the other stores do. A write goes to a temporary file in the same
directory, is flushed to disk, and replaces the old file with `os.replace`, so a reader (or
a process killed mid-write) sees the old value or the new one, never a mix. Writers of one
key take an exclusive `fcntl.flock` on a lock file next to it, so compare-and-set is
atomic across processes. Readers take no lock.

``file:///path/to/dir`` as a connector's ``state`` (or `state_backend_from_url`) gives a
`FileStateBackend`: checkpoints in that directory; rate limits and OAuth2 tokens stay in
this process's memory (a file is no place for a limiter many processes hit per request).

Written here rather than taken from a library (filelock, portalocker): the core depends on
httpx, attrs, stamina and orjson only, and an advisory lock is one `flock` call. POSIX
only: on Windows the store refuses to start with a clear message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import orjson

from ._errors import ConfigurationError, ConnectorError
from ._ratelimit import InMemoryRateLimitBackend
from .state import JSON, InMemoryTokenStore, encode_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileCheckpointStore", "FileStateBackend"]

_NAME_LIMIT = 150  # longer encoded keys are shortened with a digest (file names max 255)


class FileCheckpointStore:
    """`CheckpointStore` in a directory: atomic writes, locked across processes."""

    def __init__(self, directory: str | os.PathLike[str], *, durable: bool = True) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise ConfigurationError("file checkpoints need POSIX file locks (fcntl)")
        self.directory = Path(directory)
        self.durable = durable  # fsync each write: survives a power cut, not just a crash
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigurationError(
                f"checkpoints: cannot use directory {str(self.directory)!r}: {exc.strerror}"
            ) from None
        if not self.directory.is_dir():
            raise ConfigurationError(f"checkpoints: {str(self.directory)!r} is not a directory")
        self._sweep()

    def __repr__(self) -> str:
        return f"FileCheckpointStore({str(self.directory)!r})"

    def _sweep(self) -> None:
        """Remove the temporary files of writers that died mid-write (never read anyway)."""
        for temporary in self.directory.glob(".*.tmp"):
            pid = temporary.name.rsplit(".", 3)[-3] if temporary.name.count(".") >= 4 else ""
            if not pid.isdigit() or _alive(int(pid)):
                continue
            with contextlib.suppress(OSError):
                temporary.unlink()

    def path_of(self, key: str) -> Path:
        """The file holding `key`'s value."""
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"checkpoint key: expected a non-empty string, got {key!r}")
        name = quote(key, safe="")
        if len(name) > _NAME_LIMIT:
            digest = hashlib.sha256(key.encode()).hexdigest()[:32]
            name = f"{name[: _NAME_LIMIT - 33]}-{digest}"
        return self.directory / f"{name}.json"

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        lock = path.with_name(f".{path.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._error("lock", path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error("read", path, exc) from None

    def _write(self, path: Path, data: bytes) -> None:
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, path)
            if self.durable:
                self._sync_directory()
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise self._error("write", path, exc) from None

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _error(action: str, path: Path, exc: OSError) -> ConnectorError:
        return ConnectorError(f"checkpoints: cannot {action} {str(path)!r}: {exc.strerror or exc}")

    @staticmethod
    def _decode(path: Path, raw: bytes) -> JSON:
        try:
            value: JSON = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ConnectorError(f"checkpoints: {str(path)!r} does not hold JSON") from None
        return value

    # the protocol, blocking

    def get_sync(self, key: str) -> JSON | None:
        path = self.path_of(key)
        raw = self._read(path)
        return None if raw is None else self._decode(path, raw)

    def put_sync(self, key: str, value: JSON) -> None:
        path = self.path_of(key)
        encoded = encode_json(value)
        with self._locked(path):
            self._write(path, encoded)

    def compare_and_set_sync(self, key: str, expected: JSON | None, value: JSON) -> bool:
        path = self.path_of(key)
        wanted = None if expected is None else encode_json(expected)
        encoded = encode_json(value)
        with self._locked(path):
            if self._read(path) != wanted:
                return False
            self._write(path, encoded)
            return True

    def delete_sync(self, key: str) -> None:
        path = self.path_of(key)
        with self._locked(path):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise self._error("delete", path, exc) from None

    # the protocol, async: file system calls (and waits for the lock) off the event loop

    async def get(self, key: str) -> JSON | None:
        return await asyncio.to_thread(self.get_sync, key)

    async def put(self, key: str, value: JSON) -> None:
        await asyncio.to_thread(self.put_sync, key, value)

    async def compare_and_set(self, key: str, expected: JSON | None, value: JSON) -> bool:
        return await asyncio.to_thread(self.compare_and_set_sync, key, expected, value)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.delete_sync, key)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def directory_of(url: str) -> Path:
    """The directory a ``file:`` URL names; only absolute local paths are accepted."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ConfigurationError(
            f"state: {url!r}: expected file:///absolute/path/to/dir (a local directory)"
        )
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ConfigurationError(f"state: {url!r}: the directory must be an absolute path")
    return Path(path)


class FileStateBackend:
    """Checkpoints in a directory; rate limits and tokens in this process's memory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._checkpoints = FileCheckpointStore(directory)
        self._url = f"file://{quote(str(self._checkpoints.directory))}"
        self._rate_limits = InMemoryRateLimitBackend()
        self._tokens = InMemoryTokenStore()

    @classmethod
    def from_url(cls, url: str) -> FileStateBackend:
        return cls(directory_of(url))

    def __repr__(self) -> str:
        return f"FileStateBackend({self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    @property
    def rate_limits(self) -> InMemoryRateLimitBackend:
        return self._rate_limits

    @property
    def tokens(self) -> InMemoryTokenStore:
        return self._tokens

    @property
    def checkpoints(self) -> FileCheckpointStore:
        return self._checkpoints

    async def check(self) -> None:
        directory = self._checkpoints.directory
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ConnectorError(f"state {self._url}: the directory is not writable")

    async def aclose(self) -> None:
        return None
