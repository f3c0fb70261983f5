"""The contract checks over the business corpus: a rotating sample every run, all on demand.

Every run (CI included) checks the specs of the day (`_run.select_sample`: three specs of
the corpus, the next three the next day, a window of at most 250 operations of a big one),
each generated from the whole spec. The whole corpus is ``-m corpus_contract`` (marked
slow, skipped unless selected) or, with a report written to docs/contract-corpus.md,
``python -m tests.contract.corpus``. ``CONTRACT_DAY=<n>`` checks the sample of day n,
``CONTRACT_CORPUS_EXAMPLES`` sets the examples per response variant (1).

A finding fails a test unless `_causes` traces it to the spec (it then shows in the
report, with the JSON pointer of the inconsistency).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ._run import SampleEntry, corpus_specs, run_subject, select_sample, today, unexplained

SPECS = corpus_specs()
DAY = int(os.environ.get("CONTRACT_DAY", today()))
EXAMPLES = int(os.environ.get("CONTRACT_CORPUS_EXAMPLES", "1"))

pytestmark = [
    pytest.mark.contract,
    pytest.mark.corpus,
    pytest.mark.skipif(
        not SPECS, reason="../shared/specs/business is absent: the corpus contract needs it"
    ),
]


def _label(entry: SampleEntry) -> str:
    window = f"[{entry.window[0]}:{entry.window[1]}]" if entry.window else ""
    return f"{entry.spec.stem}{window}"


@pytest.mark.parametrize("entry", select_sample(DAY, SPECS), ids=_label)
def test_rotating_sample_meets_its_contract(entry: SampleEntry, tmp_path: Path) -> None:
    summary = run_subject(
        "corpus", entry.spec.stem, examples=EXAMPLES, window=entry.window, root=tmp_path
    )
    problems = unexplained(summary)
    assert not problems, f"{len(problems)} finding(s) of ours:\n" + "\n".join(problems[:40])


@pytest.mark.slow
@pytest.mark.corpus_contract
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_whole_corpus_meets_its_contract(spec: Path, tmp_path: Path) -> None:
    """Deselected unless ``-m corpus_contract`` selects it (see conftest.py)."""
    summary = run_subject("corpus", spec.stem, examples=EXAMPLES, root=tmp_path)
    problems = unexplained(summary)
    assert not problems, f"{len(problems)} finding(s) of ours:\n" + "\n".join(problems[:40])
