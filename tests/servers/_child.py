"""Entry point of a test server process: ``python -m tests.servers._child``.

The parent writes the pickled spec to stdin and keeps stdin open; this process answers
one JSON line on stdout (``{"port": ..., "control_port": ...}`` or ``{"error": ...}``),
then serves until stdin closes. Pickle is safe here: the only writer is the test process
that started this one.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import traceback
from typing import Any

from ._app import ServerSpec, serve


def main() -> None:
    announcements = sys.stdout
    # Nobody reads stdout after the announcement; stray prints must not fill its pipe.
    sys.stdout = sys.stderr

    def announce(message: dict[str, Any]) -> None:
        announcements.write(json.dumps(message) + "\n")
        announcements.flush()

    try:
        spec: ServerSpec = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent
    except Exception:  # Typically a spec class this process cannot import.
        announce({"error": traceback.format_exc()})
        return
    asyncio.run(serve(spec, announce))


if __name__ == "__main__":
    main()
