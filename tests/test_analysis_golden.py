"""The analysis (timelines and diagnosis) of every sample and every labelled excerpt is unchanged.

The stored goldens under ``tests/golden/analysis/`` record what the analysis said before a change
to its data model; a change of result must be deliberate: regenerate with ``--regen-golden`` and
say why in the commit message. Paths are stored relative to the input so the goldens do not
depend on where the checkout lives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import GOLDEN, ROOT, SAMPLES

import multus_forensics as mf
from multus_forensics.classify import Diagnosis
from multus_forensics.timeline import Timelines

ANALYSIS = GOLDEN / "analysis"
CORPUS = ROOT / "tests" / "data" / "corpus_dev.jsonl"
#: samples analysed one directory at a time, as ``scripts/demo`` reports them
SAMPLE_DIRS = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())


def _rel(text: str, base: Path) -> str:
    return text.replace(str(base) + "/", "").replace(str(base), ".")


def _frame_rows(frame: Any) -> list[dict[str, Any]]:
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
    return rows


def analysis_of(path: Path, base: Path) -> dict[str, Any]:
    """Timelines and diagnosis of ``path`` as JSON-ready data, paths relative to ``base``."""
    log = mf.parse(str(path), year=2026)
    tl = mf.build_timelines(log)
    diag = mf.diagnose(log)
    # a report hands its timelines to the classifier: the diagnosis must not depend on that
    assert mf.diagnose(log, timelines=tl).to_dict() == diag.to_dict()
    return analysis_record(tl, diag, base)


def analysis_record(tl: Timelines, diag: Diagnosis, base: Path) -> dict[str, Any]:
    """What a golden stores of an analysis: the timeline frames and the diagnosis, as JSON-ready
    data with paths relative to ``base``."""
    out = {
        "pods": _frame_rows(tl.pods()),
        "attempts": _frame_rows(tl.attempts()),
        "interfaces": _frame_rows(tl.interfaces()),
        "anomalies": _frame_rows(tl.anomalies()),
        "diagnosis": diag.to_dict(),
    }
    return json.loads(_rel(json.dumps(out, sort_keys=True, default=str), base))


def _check(name: str, got: dict[str, Any], regen: bool) -> None:
    path = ANALYSIS / f"{name}.json"
    if regen:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, sort_keys=True, indent=1) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"no golden {path}; run pytest --regen-golden once and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    for part in ("diagnosis", "pods", "attempts", "interfaces", "anomalies"):
        assert got[part] == expected[part], f"{name}: {part} changed"


@pytest.mark.parametrize("sample", SAMPLE_DIRS)
def test_sample_analysis_matches_golden(sample: str, regen_golden: bool) -> None:
    _check(f"sample_{sample}", analysis_of(SAMPLES / sample, SAMPLES), regen_golden)


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("record", _corpus(), ids=lambda r: str(r["id"]))
def test_corpus_analysis_matches_golden(
    record: dict[str, Any], tmp_path: Path, regen_golden: bool
) -> None:
    path = tmp_path / "excerpt.txt"
    path.write_text(record["log"], encoding="utf-8")
    _check(f"corpus_{record['id']}", analysis_of(path, tmp_path), regen_golden)
