"""Contract tests: no waiting on rate limits or retry backoff; the whole-corpus marker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectory.core import testing


def pytest_configure(config: pytest.Config) -> None:
    # Registered here (the harness owns it): the whole business corpus, on demand.
    config.addinivalue_line(
        "markers", "corpus_contract: the contract checks over every spec of the corpus (slow)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The whole corpus (an hour) runs only when ``-m`` names it: left out otherwise."""
    if "corpus_contract" in (config.getoption("markexpr") or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("corpus_contract")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("corpus_contract")]


@pytest.fixture(autouse=True, scope="module")
def _no_waiting() -> Iterator[None]:
    with testing.no_waiting():
        yield
