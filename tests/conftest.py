"""Shared fixtures: paths, and golden-file comparison with an explicit regenerate flag."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline fails correct examples on a loaded 2-core machine; tests
# that guard against slow (quadratic) behaviour set their own deadline explicitly.
settings.register_profile("default-deadline-2s", deadline=2000)
settings.load_profile("default-deadline-2s")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
GOLDEN = Path(__file__).resolve().parent / "golden"
#: test data kept in the repository (the labelled corpus, with each excerpt's source link)
DATA = Path(__file__).resolve().parent / "data"


def repo_module(relpath: str) -> ModuleType:
    """A script of this repository (``benchmarks/nodegen.py``, ``scripts/...``), loaded once as
    a module named by its file: the tests use the same generators and tools as the benchmarks."""
    name = Path(relpath).stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
    root = str(ROOT) + "/"
    for row in frame.drop("file").iter_rows(named=True):
        row["time"] = row["time"].isoformat() if row["time"] is not None else None
        # a format may name its own path in a message or in fields: keep it checkout-relative
        rows.append({k: v.replace(root, "") if isinstance(v, str) else v for k, v in row.items()})
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
