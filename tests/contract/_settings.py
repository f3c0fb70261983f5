"""Hypothesis settings of the contract tests.

``CONTRACT_MAX_EXAMPLES`` (environment) raises the examples per test for a deeper local
run; the default keeps tests/contract near a minute on two cores. ``CONTRACT_NO_SHRINK=1``
skips minimising failing examples.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, Phase, settings

MAX_EXAMPLES: Final = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "5"))
# CONTRACT_NO_SHRINK=1 reports failures as found, without minimising them (faster triage).
PHASES: Final = (
    (Phase.explicit, Phase.reuse, Phase.generate)
    if os.environ.get("CONTRACT_NO_SHRINK")
    else tuple(Phase)
)

CONTRACT: Final = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=PHASES,
    # Vendor objects are big and some schemas (oneOf) are met by filtering.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
