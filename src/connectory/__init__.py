"""connectory: typed Python connectors for business-app APIs.

Generated connectors live in ``connectory.connectors.<name>``, the runtime they stand on
in ``connectory.core``, the generator in ``connectory.generator``.
"""

from __future__ import annotations

import functools

__all__ = ["__version__"]


@functools.cache
def _version() -> str:
    # importlib.metadata takes longer to import than a connector: read only when asked.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("connectory")
    except PackageNotFoundError:  # pragma: no cover - a source tree without installed metadata
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
