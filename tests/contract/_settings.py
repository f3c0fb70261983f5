"""Hypothesis settings of the contract tests.

Derandomized: every run draws the same examples, so a known mismatch (`_known_bugs`) fails
the same way each time and its strict xfail mark is a reliable signal when it is fixed.

``CONTRACT_MAX_EXAMPLES`` (environment) raises the examples per test for a deeper local
run. Failing examples are reported as found (the known mismatches of `_known_bugs` fail
on every run, and minimising them would only cost CI time); ``CONTRACT_SHRINK=1``
minimises them when you debug one.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, Phase, settings

MAX_EXAMPLES: Final = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "5"))
PHASES: Final = (
    tuple(Phase)
    if os.environ.get("CONTRACT_SHRINK")
    else (Phase.explicit, Phase.reuse, Phase.generate)
)

CONTRACT: Final = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=PHASES,
    # Vendor objects are big and some schemas (oneOf) are met by filtering.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
