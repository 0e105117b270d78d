"""Every sample and labelled excerpt parsed stream by stream, cut to the rows the analysis reads,
gives the stored goldens of ``test_analysis_golden`` (timelines and diagnosis unchanged)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from test_analysis_golden import SAMPLE_DIRS, _check, _corpus, analysis_record

import multus_forensics as mf
from multus_forensics.batch import ParseOptions
from multus_forensics.batch.compact import KeepSpec, keep_spec
from multus_forensics.batch.streams import parse_streams


@pytest.fixture(scope="module")
def spec() -> KeepSpec:
    return keep_spec()


def streamed_analysis(path: Path, base: Path, spec: KeepSpec) -> dict[str, Any]:
    """As ``test_analysis_golden.analysis_of``, from the cut rows of a streamed parse."""
    log = parse_streams([str(path)], ParseOptions(year=2026), keep=spec, workers=1).log
    tl = mf.build_timelines(log)
    return analysis_record(tl, mf.diagnose(log, timelines=tl), base)


@pytest.mark.parametrize("sample", SAMPLE_DIRS)
def test_sample_cut_to_what_the_analysis_reads_matches_golden(sample: str, spec: KeepSpec) -> None:
    _check(f"sample_{sample}", streamed_analysis(SAMPLES / sample, SAMPLES, spec), False)


@pytest.mark.parametrize("record", _corpus(), ids=lambda r: str(r["id"]))
def test_corpus_excerpt_cut_to_what_the_analysis_reads_matches_golden(
    record: dict[str, Any], tmp_path: Path, spec: KeepSpec
) -> None:
    path = tmp_path / "excerpt.txt"
    path.write_text(record["log"], encoding="utf-8")
    _check(f"corpus_{record['id']}", streamed_analysis(path, tmp_path, spec), False)
