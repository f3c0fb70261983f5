"""The ``connectory`` console script: the command line, or a clear word when the extra that
brings it is not installed (``pip install connectory`` alone is the runtime)."""

from __future__ import annotations

import sys

_CLI_MODULES = frozenset({"typer", "rich", "jinja2", "yaml", "click"})


def main() -> None:
    try:
        from .cli import main as cli_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _CLI_MODULES:
            raise
        sys.stderr.write(
            "connectory's command line needs the generator extra: "
            "pip install 'connectory[generator]'\n"
        )
        raise SystemExit(2) from None
    cli_main()
