"""The testing switch: turn off every wait (rate-limit pauses and retry backoff).

For users' own test suites, in the manner of ``stamina.set_testing``::

    from connectory.core import testing

    with testing.no_waiting():
        ...  # limiters admit at once, retries happen without sleeping

or ``testing.set_no_waiting(True)`` in a session fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_state = {"no_waiting": False}


def waiting_disabled() -> bool:
    """True while `no_waiting` is in force."""
    return _state["no_waiting"]


def set_no_waiting(enabled: bool) -> None:
    """Turn waiting off (True) or back on (False) for the whole process.

    Rate limiters admit every request at once; retries still happen, as many as each
    policy allows, but without backoff.
    """
    _state["no_waiting"] = enabled
    import stamina  # imported where needed: a connector that never retries never loads it

    # cap=True keeps each policy's own attempt count, only the sleeps go.
    stamina.set_testing(enabled, attempts=1_000, cap=True)


@contextmanager
def no_waiting() -> Iterator[None]:
    """Context manager form of `set_no_waiting(True)`; restores the previous state."""
    previous = _state["no_waiting"]
    set_no_waiting(True)
    try:
        yield
    finally:
        set_no_waiting(previous)
