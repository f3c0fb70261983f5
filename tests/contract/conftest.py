"""Contract tests: no waiting on rate limits or retry backoff while they run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectory.core import testing


@pytest.fixture(autouse=True, scope="module")
def _no_waiting() -> Iterator[None]:
    with testing.no_waiting():
        yield
