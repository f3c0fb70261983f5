"""Sliding-window arithmetic over arrival times, for checking rate limits server-side.

A client's limiter promises "at most N requests per W seconds"; the servers stamp each
request when it arrives, and these helpers say whether the promise held against those
stamps. Written here because the question is small and exact: a library for rolling
statistics would work on fixed buckets, which miss a burst that straddles two of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

__all__ = ["max_in_window", "rate"]


def max_in_window(times: Sequence[float], window: float) -> int:
    """The most arrivals inside any half-open interval ``[t, t + window)``.

    Arrivals exactly `window` apart fall into different windows, as every usual limiter
    ("N per W seconds") allows them. The times need not be sorted (they are sorted first
    when they are not); over sorted times the scan is one O(n) two-pointer pass.

    Stamps carry network jitter: to check a client limit of N per W with some slack, ask
    for ``max_in_window(times, W - slack) <= N``.
    """
    if window <= 0:
        raise ValueError(f"window must be positive, not {window}")
    ordered = times if _is_sorted(times) else sorted(times)
    best = 0
    start = 0
    for end, arrival in enumerate(ordered):
        # The window that opens at ordered[start] must still contain `arrival`.
        while arrival - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate(times: Sequence[float]) -> float:
    """Mean arrivals per second between the first and the last arrival.

    That is ``(n - 1) / (last - first)``: n arrivals span n - 1 intervals. Fewer than two
    arrivals have no rate (0.0); two or more at the same instant have an infinite one.
    """
    if len(times) < 2:
        return 0.0
    span = max(times) - min(times)
    if span == 0:
        return float("inf")
    return (len(times) - 1) / span


def _is_sorted(times: Sequence[float]) -> bool:
    return all(earlier <= later for earlier, later in pairwise(times))
