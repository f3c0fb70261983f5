"""The coverage report: what was typed, what fell back, and why."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ._model import Api


def reason_kind(reason: str) -> str:
    """The category of a degradation reason: the text before its first colon."""
    return reason.split(":", 1)[0].strip()


def _listing(api: Api, attribute: str) -> list[dict[str, str]]:
    return [
        {"operation": op.operation_id, "reason": "; ".join(getattr(op, attribute))}
        for op in api.operations
        if getattr(op, attribute)
    ]


def _kinds(api: Api, attribute: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for op in api.operations:
        for reason in getattr(op, attribute):
            counts[reason_kind(reason)] += 1
    return dict(sorted(counts.items()))


def build_report(api: Api, *, name: str, spec: str) -> dict[str, Any]:
    """Counts of what was typed, and every operation that was not, with its reasons.

    ``operations_degraded``: the generator could not type a part the spec describes (an
    unresolvable reference, an unreadable schema) and fell back to raw data.
    ``operations_untyped``: the spec itself gives that part no type (no content declared,
    no schema, a schema allowing any value); the data is returned as parsed JSON.
    """
    degraded = _listing(api, "degraded")
    untyped = [
        u
        for u in _listing(api, "untyped")
        if u["operation"] not in {d["operation"] for d in degraded}
    ]
    total = len(api.operations)
    return {
        "connector": name,
        "spec": spec,
        "openapi": api.openapi,
        "operations_total": total,
        "operations_typed": sum(1 for op in api.operations if op.typed),
        "operations_degraded": degraded,
        "operations_untyped": untyped,
        "degraded_share": round(len(degraded) / total, 4) if total else 0.0,
        "untyped_share": round(len(untyped) / total, 4) if total else 0.0,
        "schemas_total": api.schemas_total,
        "models_generated": len(api.models),
        "enums_generated": len(api.enums),
        "reasons": _kinds(api, "degraded"),
        "untyped_reasons": _kinds(api, "untyped"),
    }
