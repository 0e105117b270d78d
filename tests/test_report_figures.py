"""The report's figures: drawn once, the same PNG bytes as ``savefig`` with its layout pass."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from conftest import SAMPLES
from matplotlib.figure import Figure

import multus_forensics as mf
from multus_forensics.plots import (
    failure_table,
    plot_add_order,
    plot_attempts,
    plot_causes_by_node,
    plot_causes_over_time,
)
from multus_forensics.report.figures import DPI, png

PROBE = "lab/probe-6d8f9c7b54-qwz4n"


def _savefig(draw: Callable[..., Any], size: tuple[float, float]) -> bytes:
    """What ``png`` drew before: a constrained figure saved by ``savefig`` alone."""
    fig = Figure(figsize=size, layout="constrained")
    draw(ax=fig.subplots())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


@pytest.fixture(scope="module")
def seed() -> tuple[mf.Timelines, Any]:
    log = mf.parse([str(SAMPLES / "seed")], year=2026)
    timelines = mf.build_timelines(log)
    return timelines, failure_table(timelines, mf.diagnose(log, timelines=timelines))


@pytest.mark.parametrize("figure", ["attempts", "add_order", "over_time", "by_node"])
def test_a_figure_drawn_once_has_the_bytes_savefig_gives_after_its_layout_pass(
    seed: tuple[mf.Timelines, Any], figure: str
) -> None:
    timelines, failures = seed
    assert failures.height > 0
    draw, size = {
        "attempts": (partial(plot_attempts, timelines, pod=PROBE), (10.0, 2.2)),
        "add_order": (partial(plot_add_order, timelines, pod=PROBE), (10.0, 2.7)),
        "over_time": (partial(plot_causes_over_time, failures), (10.0, 3.2)),
        "by_node": (partial(plot_causes_by_node, failures, nodes=["a", "b"]), (10.0, 2.55)),
    }[figure]
    got = png(draw, size)
    assert got.startswith(b"\x89PNG")
    assert got == _savefig(draw, size)
