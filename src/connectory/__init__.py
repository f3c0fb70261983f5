"""connectory: typed Python connectors for business-app APIs.

Generated connectors live in ``connectory.connectors.<name>``, the runtime they stand on
in ``connectory.core``, the generator in ``connectory.generator``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("connectory")
except PackageNotFoundError:  # pragma: no cover - a source tree without installed metadata
    __version__ = "0.0.0"

__all__ = ["__version__"]
