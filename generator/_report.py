"""The coverage report: what was typed, what fell back, and why."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs

from ._model import Api, Problem


@attrs.frozen
class OperationProblems:
    operation: str
    problems: tuple[Problem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "reason": "; ".join(p.message for p in self.problems),
            "pointers": [p.pointer for p in self.problems],
        }


@attrs.frozen
class GenerationReport:
    """Counts of what was typed, and every operation that was not, with its problems.

    ``degraded``: the generator could not represent a part the spec describes (an
    unresolvable reference, an unreadable schema, a construct it does not model) and fell
    back to raw data. ``untyped``: the spec itself gives that part no type (no content
    declared, no schema, a schema allowing any value); the data is returned as parsed JSON.
    """

    connector: str
    spec: str
    openapi: str
    operations_total: int
    operations_typed: int
    degraded: tuple[OperationProblems, ...]
    untyped: tuple[OperationProblems, ...]
    schemas_total: int
    models_generated: int
    enums_generated: int
    aliases_generated: int

    @property
    def degraded_share(self) -> float:
        total = self.operations_total
        return round(len(self.degraded) / total, 4) if total else 0.0

    @property
    def untyped_share(self) -> float:
        total = self.operations_total
        return round(len(self.untyped) / total, 4) if total else 0.0

    def reasons(self, which: str = "degraded") -> dict[str, int]:
        """How often each kind of problem occurs (the message's words before a colon)."""
        counts: Counter[str] = Counter()
        for entry in getattr(self, which):
            for problem in entry.problems:
                counts[problem.message.split(":", 1)[0].strip()] += 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "spec": self.spec,
            "openapi": self.openapi,
            "operations_total": self.operations_total,
            "operations_typed": self.operations_typed,
            "operations_degraded": [d.to_json() for d in self.degraded],
            "operations_untyped": [u.to_json() for u in self.untyped],
            "degraded_share": self.degraded_share,
            "untyped_share": self.untyped_share,
            "schemas_total": self.schemas_total,
            "models_generated": self.models_generated,
            "enums_generated": self.enums_generated,
            "aliases_generated": self.aliases_generated,
            "reasons": self.reasons("degraded"),
            "untyped_reasons": self.reasons("untyped"),
        }


def build_report(api: Api, *, name: str, spec: str) -> GenerationReport:
    degraded = tuple(
        OperationProblems(op.operation_id, op.degraded) for op in api.operations if op.degraded
    )
    flagged = {d.operation for d in degraded}
    untyped = tuple(
        OperationProblems(op.operation_id, op.untyped)
        for op in api.operations
        if op.untyped and op.operation_id not in flagged
    )
    return GenerationReport(
        connector=name,
        spec=spec,
        openapi=api.openapi,
        operations_total=len(api.operations),
        operations_typed=sum(1 for op in api.operations if op.typed),
        degraded=degraded,
        untyped=untyped,
        schemas_total=api.schemas_total,
        models_generated=len(api.models),
        enums_generated=len(api.enums),
        aliases_generated=len(api.aliases),
    )
