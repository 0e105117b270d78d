"""Shared fixtures: paths, and golden-file comparison with an explicit regenerate flag."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
GOLDEN = Path(__file__).resolve().parent / "golden"
SHARED = ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite golden files under tests/golden from the current output",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


def golden_rows(frame: pl.DataFrame) -> list[dict[str, object]]:
    """Events as JSON-ready rows without machine-specific provenance (absolute paths)."""
    rows = []
    for row in frame.drop("file").iter_rows(named=True):
        row["time"] = row["time"].isoformat() if row["time"] is not None else None
        rows.append(row)
    return rows


def check_golden(name: str, frame: pl.DataFrame, regen: bool) -> None:
    """Compare ``frame`` with ``tests/golden/<name>.jsonl``; rewrite it only when ``regen``."""
    path = GOLDEN / f"{name}.jsonl"
    rows = golden_rows(frame)
    text = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)
    if regen:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run pytest --regen-golden once and review it"
    expected = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [json.loads(json.dumps(r, sort_keys=True)) for r in rows] == expected
