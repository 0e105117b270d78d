"""The PNGs under docs/plots/ are renders of the sample data, looked at by eye when they change.

``pytest tests/test_plots_docs.py --regen-golden`` rewrites them; review the images (and their
diff) before committing. Without the flag each figure is rendered again and compared with the
committed PNG (matplotlib's RMS image comparison), so a change in what a plot shows fails here
and gets its look reviewed.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from conftest import ROOT, SAMPLES
from matplotlib.axes import Axes
from matplotlib.testing.compare import compare_images
from matplotlib.testing.exceptions import ImageComparisonFailure

import multus_forensics as mf

DOCS = ROOT / "docs" / "plots"
DPI = 80
#: RMS over 0..255 pixel values; text antialiasing across matplotlib/freetype builds stays well
#: below, a moved or missing lane, box or legend entry does not
TOLERANCE = 6.0


def _seed_and_dupname() -> mf.Timelines:
    return mf.build_timelines(
        mf.parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026)
    )


def _fleet_failures(tmp: Path) -> object:
    make_fleet = runpy.run_path(str(SAMPLES.parent / "scripts" / "samples" / "make_fleet.py"))[
        "make_fleet"
    ]
    log = mf.parse([str(p) for p in make_fleet(tmp, nodes=6, pods=14, seed=7)])
    tl = mf.build_timelines(log)
    return mf.failure_table(tl, mf.diagnose(log))


FIGURES: dict[str, Callable[[Path], Axes]] = {
    "add_order_compare": lambda tmp: mf.plot_add_order(_seed_and_dupname()),
    "attempts_seed": lambda tmp: mf.plot_attempts(
        mf.build_timelines(mf.parse([str(SAMPLES / "seed")], year=2026))
    ),
    "fleet_by_node": lambda tmp: mf.plot_causes_by_node(
        _fleet_failures(tmp), nodes=[f"fleet-worker-{i}" for i in range(1, 7)]
    ),
    "fleet_over_time": lambda tmp: mf.plot_causes_over_time(_fleet_failures(tmp)),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_docs_png_matches_the_reviewed_render(
    name: str, tmp_path: Path, regen_golden: bool
) -> None:
    ax = FIGURES[name](tmp_path)
    actual = tmp_path / f"{name}.png"
    ax.figure.savefig(actual, dpi=DPI)
    plt.close("all")
    expected = DOCS / f"{name}.png"
    if regen_golden:
        DOCS.mkdir(parents=True, exist_ok=True)
        expected.write_bytes(actual.read_bytes())
        return
    assert expected.exists(), f"no {expected}; run pytest --regen-golden and look at it"
    try:
        result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    except ImageComparisonFailure as exc:  # raised when the sizes differ
        result = str(exc)
    assert result is None, (
        f"{name} looks different from {expected} ({result}); re-render with "
        "pytest tests/test_plots_docs.py --regen-golden and check the image by eye"
    )
