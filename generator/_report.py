"""The coverage report: what was typed, what fell back, and why."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ._model import Api


def reason_kind(reason: str) -> str:
    """The category of a degradation reason: the text before its first colon."""
    return reason.split(":", 1)[0].strip()


def build_report(api: Api, *, name: str, spec: str) -> dict[str, Any]:
    degraded = [
        {"operation": op.operation_id, "reason": "; ".join(op.degraded)}
        for op in api.operations
        if op.degraded
    ]
    kinds: Counter[str] = Counter()
    for op in api.operations:
        for reason in op.degraded:
            kinds[reason_kind(reason)] += 1
    total = len(api.operations)
    return {
        "connector": name,
        "spec": spec,
        "openapi": api.openapi,
        "operations_total": total,
        "operations_typed": total - len(degraded),
        "operations_degraded": degraded,
        "degraded_share": round(len(degraded) / total, 4) if total else 0.0,
        "schemas_total": api.schemas_total,
        "models_generated": len(api.models),
        "enums_generated": len(api.enums),
        "reasons": dict(sorted(kinds.items())),
    }
