"""What the harness finds that is ours and still open, and the listings connector.yaml and
its spec disagree on.

An open bug has a deterministic reproduction in test_known_bugs.py marked
``xfail(strict=True)``: it fails until the bug is fixed, then passes unexpectedly (a
failure of the suite), the signal to drop the mark and the entry here. Until then the
operation checks recognise the bug's findings by `open_bug` and report them without
failing, so that they keep checking everything else about those operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from ._harness import Finding

# None open today. An entry is (description, which findings it accounts for), e.g.
# ("B9 (open, core/...): ...", lambda f: f.cause.startswith("...")).
_OPEN: Final[tuple[tuple[str, Callable[[Finding], bool]], ...]] = ()


def open_bug(finding: Finding) -> str | None:
    """The open bug of ours a finding is, if it is one."""
    for description, matches in _OPEN:
        if matches(finding):
            return description
    return None


HARNESS_UNSATISFIABLE: Final = (
    "harness: no page of this listing's schema could be drawn (hypothesis-jsonschema finds "
    "the response schema unsatisfiable, or no item fits where connector.yaml looks)"
)
HARNESS_SERVER_ERROR: Final = (
    "harness: the fake vendor answered 500 (it could not build a reply for the request)"
)
HARNESS_STRATEGY: Final = "harness: its schema strategies cannot draw this response schema"

# Seed-level checks (test_resources.py) that fail today, per (check, connector, resource),
# check being "list" (list_items over pages) or "get" (get_item_metadata): why. Those of
# the connector, its spec or the core are strict xfails: each fails the suite once it
# passes, the signal to drop its entry. Those of the harness itself (`HARNESS_LIMITS`) depend on
# what it draws, so they are expected to fail without being required to.
RESOURCE_MISMATCHES: Final[Mapping[tuple[str, str, str], str]] = {}  # none today

# Shipped connectors with an operation the harness itself cannot check (its strategies fail
# on the schema): connector -> which and why. Expected to fail
# test_every_operation_meets_its_contract (not required to: it depends on what is drawn).
OPERATION_MISMATCHES: Final[Mapping[str, str]] = {}  # none today

HARNESS_LIMITS: Final = frozenset(
    {
        HARNESS_UNSATISFIABLE,
        HARNESS_SERVER_ERROR,
        HARNESS_STRATEGY,
    }
)
