"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import fake_vendors as fv
from tests.local_server import LocalServer, serve


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """Both fake vendors of tests/fake_vendors.py on a real local HTTP server."""
    with serve(fv.vendor_route) as running:
        yield running
