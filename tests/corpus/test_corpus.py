"""The business corpus: every real vendor spec generates, imports and type-checks.

Reads ``../shared/specs/business`` (132 specs, 30,222 operations); skips with a message
where that folder is absent (a user's fresh clone). Run alone with
``python -m pytest -m corpus``. The full comparison with openapi-python-client, with timings,
is ``bench/bench_corpus.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectory.generator import generate_spec
from connectory.generator._parse import HTTP_METHODS

REPOSITORY = Path(__file__).resolve().parents[2]
SPECS = REPOSITORY.parent / "shared" / "specs" / "business"
ALL_SPECS = sorted(SPECS.glob("*.json")) if SPECS.is_dir() else []
# A spread of what the corpus holds: huge, 3.1, recursive aliases, enum clashes, odd content.
TYPE_CHECK_SAMPLE = ("stripe", "vercel", "openai", "box", "telnyx", "api-video", "zuora")

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not ALL_SPECS,
        reason=f"{SPECS} is absent: the corpus tests need the shared vendor specs",
    ),
]


def package_name(spec: Path) -> str:
    name = spec.stem.replace("-", "_").lower()
    return f"c_{name}" if name[0].isdigit() else name


def count_operations(spec: Path) -> int:
    document = json.loads(spec.read_text(encoding="utf-8"))
    return sum(
        1
        for item in (document.get("paths") or {}).values()
        if isinstance(item, dict)
        for method in HTTP_METHODS
        if isinstance(item.get(method), dict)
    )


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="session")
def reports() -> dict[str, dict[str, Any]]:
    return {}


_IMPORT_ALL = """
import importlib, sys
package = importlib.import_module(sys.argv[1])
for name in package.__all__:
    getattr(package, name)
models = importlib.import_module(sys.argv[1] + ".models")
for name in models.__all__:
    getattr(models, name)
print(len(models.__all__))
"""


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda spec: spec.stem)
def test_spec_generates_imports_and_keeps_every_operation(
    spec: Path, corpus_root: Path, reports: dict[str, dict[str, Any]]
) -> None:
    name = package_name(spec)
    result = generate_spec(spec, name, corpus_root / name)
    report = result.report.to_json()
    reports[spec.stem] = report
    assert report["operations_total"] == count_operations(spec)  # nothing dropped
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    completed = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, name],
        cwd=corpus_root,
        env={**env, "PYTHONPATH": str(corpus_root)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    exported = report["models_generated"] + report["enums_generated"] + report["aliases_generated"]
    assert int(completed.stdout.strip()) == exported


def test_corpus_meets_the_coverage_goals(reports: dict[str, dict[str, Any]]) -> None:
    if len(reports) != len(ALL_SPECS):
        pytest.skip("the summary needs every spec of the corpus generated in this run")
    total = sum(r["operations_total"] for r in reports.values())
    degraded = sum(len(r["operations_degraded"]) for r in reports.values())
    untyped = sum(len(r["operations_untyped"]) for r in reports.values())
    typed = sum(r["operations_typed"] for r in reports.values())
    assert total == sum(count_operations(spec) for spec in ALL_SPECS)
    assert typed + degraded + untyped == total
    # The generator's own fallbacks stay under 0.5% of the corpus's operations.
    assert degraded / total <= 0.005, {
        stem: r["operations_degraded"] for stem, r in reports.items() if r["operations_degraded"]
    }


@pytest.mark.parametrize("stem", TYPE_CHECK_SAMPLE)
def test_generated_code_passes_strict_mypy(
    stem: str, corpus_root: Path, reports: dict[str, dict[str, Any]]
) -> None:
    spec = SPECS / f"{stem}.json"
    name = package_name(spec)
    if not (corpus_root / name).is_dir():
        generate_spec(spec, name, corpus_root / name)
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", name],
        cwd=corpus_root,
        env={**os.environ, "MYPYPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
