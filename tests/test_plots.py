"""Plot helpers on the Agg backend: labels, order and artists of each figure, the ``ax`` contract."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest
from conftest import SAMPLES
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

import multus_forensics as mf
from multus_forensics.chain import chain_json
from multus_forensics.plots import (
    add_order_lanes,
    failure_table,
    figure_png,
    plot_add_order,
    plot_attempts,
    plot_causes_by_node,
    plot_causes_over_time,
)
from multus_forensics.plots._common import OUTCOME_COLORS, REENTRY_COLOR
from multus_forensics.plots.add_order import innermost_error, step_ticks
from multus_forensics.plots.attempts import attempt_lanes
from multus_forensics.plots.fleet import bin_label, time_bin

PROBE = "lab/probe-6d8f9c7b54-qwz4n"
WEB = "lab/web-7c9d8b6f5-h2kxm"
DUAL = "lab/dual-nic-5f7d9c8b6-m4x2p"


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def seed() -> mf.Timelines:
    return mf.build_timelines(mf.parse([str(SAMPLES / "seed")], year=2026))


@pytest.fixture(scope="module")
def dupname() -> mf.Timelines:
    return mf.build_timelines(mf.parse([str(SAMPLES / "dupname")], year=2026))


def _patches(ax: Axes, gid: str) -> list[Any]:
    return [p for p in ax.patches if p.get_gid() == gid]


def _texts(ax: Axes, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def _ytick_labels(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


# -- interface add order -----------------------------------------------------------------------


def test_lanes_keep_the_add_order_and_mark_the_self_delegation_reentry(seed: mf.Timelines) -> None:
    lanes = add_order_lanes(seed, PROBE)
    assert [lane.attempt for lane in lanes] == [1, 2, 3]
    for lane in lanes:
        assert [(s.interface, s.network) for s in lane.steps] == [
            ("eth0", "cbr0"),
            ("net1", "lab/macvlan-conf"),
            ("eth0", "multus-cni-network"),
        ]
        assert [s.reentry for s in lane.steps] == [False, False, True]
        assert (lane.failed_interface, lane.failed_network) == ("net1", "macvlan-conf")
        assert lane.error == "interface name net1 already exists"
        assert lane.collides_with == 2  # the net1 the inner multus just added


UID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


@pytest.mark.parametrize(
    ("error", "innermost"),
    [
        (
            f'[lab/x/{UID}:macvlan-conf]: error adding container to network "macvlan-conf": '
            'DelegateAdd: cannot set "macvlan" interface name to "net1": '
            "validateIfName: interface name net1 already exists",
            "interface name net1 already exists",
        ),
        (
            f'[lab/x/{UID}:macvlan-conf]: error adding container to network "macvlan-conf": '
            'failed to lookup master "ens1f0": Link not found',
            'failed to lookup master "ens1f0": Link not found',
        ),
        (
            f"Multus: [lab/x/{UID}]: error waiting for pod: Unauthorized",
            "error waiting for pod: Unauthorized",
        ),
    ],
    ids=["multus-func-prefixes-dropped", "plugin-layer-kept", "multus-stage-kept"],
)
def test_innermost_error_keeps_the_failures_own_words(error: str, innermost: str) -> None:
    layers = chain_json(mf.unwrap_error(error))
    assert innermost_error(layers, "fallback") == innermost
    assert innermost_error(None, "fallback") == "fallback"


def test_add_order_figure_draws_steps_failure_and_reentry(seed: mf.Timelines) -> None:
    ax = plot_add_order(seed, pod=PROBE)
    assert len(_patches(ax, "step")) == 6
    reentry = _patches(ax, "reentry")
    assert len(reentry) == 3
    assert all(matplotlib.colors.to_hex(p.get_facecolor()) == REENTRY_COLOR for p in reentry)
    assert _texts(ax, "reentry-label") == ["↺ Multus re-entry"] * 3
    assert len(_patches(ax, "failure")) == 3
    assert _texts(ax, "failure-label") == ["✗ net1\nmacvlan-conf"] * 3
    assert _texts(ax, "error") == ["interface name net1 already exists"] * 3
    labels = _ytick_labels(ax)
    assert [label.split("\n")[1].split(" · ")[:2] for label in labels] == [
        ["attempt 1", "failed"],
        ["attempt 2", "failed"],
        ["attempt 3", "failed"],
    ]
    first_lane = sorted(
        (t.get_position()[0], t.get_text().split("\n")[0])
        for t in ax.texts
        if t.get_gid() == "step-label" and t.get_position()[1] == 0
    )
    assert [name for _, name in first_lane] == ["eth0", "net1", "eth0"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # boxes carry the short name; the legend pairs it with the full one
    assert legend[:3] == [
        "cbr0",
        "macvlan-conf = lab/macvlan-conf",
        "multus-cni-… = multus-cni-network",
    ]
    assert "default interface again from Multus" in legend
    assert ax.get_title(loc="left") == f"Interface add order: {PROBE}"


def test_duplicate_request_collides_without_reentry(dupname: mf.Timelines) -> None:
    ax = plot_add_order(dupname)
    assert _patches(ax, "reentry") == []
    assert "default interface again from Multus" not in [
        t.get_text() for t in ax.get_legend().get_texts()
    ]
    arcs = [a for a in ax.texts if isinstance(a, Annotation) and a.get_gid() == "collision"]
    assert [a.xy[0] for a in arcs] == [2, 2, 2]  # net1 from lab/macvlan-a
    assert _texts(ax, "failure-label") == ["✗ net1\nmacvlan-b"] * 3


def test_healthy_pod_ends_ready_without_failure(seed: mf.Timelines) -> None:
    ax = plot_add_order(seed, pod=WEB)
    assert _patches(ax, "failure") == []
    assert _texts(ax, "outcome") == ["✓ ready"]
    assert len(_patches(ax, "step")) == 1


def test_unknown_add_order_is_said_not_guessed() -> None:
    tl = mf.build_timelines(mf.parse([str(SAMPLES / "seed" / "containerd.log")], year=2026))
    ax = plot_add_order(tl, pod=PROBE)
    assert _patches(ax, "step") == []
    assert len(_texts(ax, "unknown")) == 3
    assert len(_patches(ax, "failure")) == 3  # the failure itself is still known


def test_lanes_beyond_max_lanes_are_counted_in_the_title(seed: mf.Timelines) -> None:
    ax = plot_add_order(seed, max_lanes=2)
    assert len(_ytick_labels(ax)) == 2
    assert ax.get_title(loc="left").endswith("(first 2 of 4 attempts)")


def test_step_boxes_set_the_data_limits_as_added_patches_do(seed: mf.Timelines) -> None:
    ax = plot_add_order(seed, pod=PROBE)
    fresh = plt.figure().add_subplot()
    for patch in _patches(ax, "step") + _patches(ax, "reentry") + _patches(ax, "failure"):
        fresh.add_patch(
            FancyBboxPatch((patch.get_x(), patch.get_y()), patch.get_width(), patch.get_height(),
                           boxstyle="round,pad=0.02")
        )  # fmt: skip
    assert tuple(ax.dataLim.bounds) == pytest.approx(tuple(fresh.dataLim.bounds), abs=0.01)


@pytest.mark.parametrize(
    ("width", "ticks"),
    [
        (1, [1]),
        (40, list(range(1, 41))),
        (41, [1, 5, 10, 15, 20, 25, 30, 35, 40]),
        (157, [1, *range(10, 151, 10)]),
        (2000, [1, *range(100, 2001, 100)]),
    ],
)
def test_add_positions_are_all_labelled_up_to_forty_then_by_round_steps(
    width: int, ticks: list[int]
) -> None:
    assert step_ticks(width) == ticks


# -- attempt timeline --------------------------------------------------------------------------


def _bars(ax: Axes, gid: str) -> list[PolyCollection]:
    return [c for c in ax.collections if c.get_gid() == gid]


def test_attempt_bars_by_outcome_with_retry_gaps(seed: mf.Timelines) -> None:
    ax = plot_attempts(seed)
    # pods in timeline order, one lane per node
    assert _ytick_labels(ax) == [f"{WEB} @ edge-node-2", f"{PROBE} @ edge-node-2"]
    failed = _bars(ax, "attempt:failed")
    assert len(failed) == 3
    assert len(_bars(ax, "attempt:ready")) == 1
    assert matplotlib.colors.to_hex(failed[0].get_facecolor()[0]) == OUTCOME_COLORS["failed"]
    assert _texts(ax, "gap-label") == ["+11.1 s", "+19.1 s"]
    assert _texts(ax, "attempt-label") == ["#1", "#1", "#2", "#3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ready", "failed"]


def test_retry_gaps_too_narrow_to_read_are_not_labelled() -> None:
    both = mf.parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026)
    ax = plot_attempts(mf.build_timelines(both))  # 80 minutes wide, gaps of 11 to 19 seconds
    assert len(_bars(ax, "attempt:failed")) == 6
    assert _texts(ax, "gap-label") == []


def test_pods_beyond_max_pods_are_counted_in_the_title(seed: mf.Timelines) -> None:
    ax = plot_attempts(seed, max_pods=1)
    assert _ytick_labels(ax) == [f"{WEB} @ edge-node-2"]
    assert ax.get_title(loc="left") == "Sandbox attempts (first 1 of 2 pods)"


def test_inferred_outcomes_are_outlined_and_explained() -> None:
    tl = mf.build_timelines(mf.parse([str(SAMPLES / "seed" / "describe.txt")], year=2026))
    ax = plot_attempts(tl)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "outcome inferred from a repeated event" in legend


def test_attempts_without_time_are_counted_not_dropped() -> None:
    tl = mf.build_timelines(mf.parse([str(SAMPLES / "paste" / "bare_ticket.txt")]))
    ax = plot_attempts(tl)
    assert ax.get_title(loc="left").endswith("(2 attempts without time not shown)")
    assert list(ax.collections) == []
    assert ax.get_autoscalex_on()  # no time axis set: the view still follows the data


def test_bars_added_without_autoscale_leave_the_limits_the_figure_sets(seed: mf.Timelines) -> None:
    ax = plt.figure().add_subplot()
    ax.set_autoscaley_on(False)
    plot_attempts(seed, pod=PROBE, ax=ax)
    assert not ax.get_autoscalex_on()  # the time axis is set from the attempts
    bars = [b for c in ax.collections for b in c.get_paths()]
    x0, x1 = ax.get_xlim()
    assert bars
    assert all(x0 <= p.vertices[:, 0].min() and p.vertices[:, 0].max() <= x1 for p in bars)
    assert ax.get_ylim() == pytest.approx((-0.65, 0.75))  # one lane


# -- fleet view --------------------------------------------------------------------------------

T0 = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def _failures(rows: list[tuple[str, str, str, int, datetime | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"node": n, "namespace": "lab", "pod": p, "pod_uid": None, "attempt": a,
             "time": t, "root_cause": c}
            for n, c, p, a, t in rows
        ],
        schema={"node": pl.String, "namespace": pl.String, "pod": pl.String,
                "pod_uid": pl.String, "attempt": pl.Int64, "time": pl.Datetime("us", "UTC"),
                "root_cause": pl.String},
        orient="row",
    )  # fmt: skip


FAILURES = _failures(
    [
        ("w1", "multus_self_delegation", "a", 1, T0),
        ("w1", "multus_self_delegation", "a", 2, T0 + timedelta(minutes=5)),
        ("w1", "unknown", "b", 1, T0 + timedelta(minutes=10)),
        ("w2", "ipam_pool_exhausted", "c", 1, T0 + timedelta(minutes=40)),
        ("w2", "ipam_pool_exhausted", "d", 1, None),
    ]
)


def test_causes_over_time_stack_per_bin() -> None:
    ax = plot_causes_over_time(FAILURES, every=timedelta(minutes=30))
    heights = {
        c.get_label(): [(round(r.get_y()), round(r.get_height())) for r in c.patches]
        for c in ax.containers
    }
    # unknown stacks last; the untimed row is counted in the title
    assert list(heights) == ["ipam_pool_exhausted", "multus_self_delegation", "unknown"]
    assert heights == {
        "ipam_pool_exhausted": [(0, 1)],
        "multus_self_delegation": [(0, 2)],
        "unknown": [(2, 1)],
    }
    assert ax.get_title(loc="left").endswith("(1 without time not shown)")
    assert ax.get_ylabel() == "failed attempts per 30 min"


def test_causes_over_time_counts_distinct_pods_and_takes_pandas() -> None:
    ax = plot_causes_over_time(FAILURES.to_pandas(), every=timedelta(hours=1), count="pods")
    totals = {c.get_label(): sum(r.get_height() for r in c.patches) for c in ax.containers}
    assert totals == {"ipam_pool_exhausted": 1, "multus_self_delegation": 1, "unknown": 1}


def test_causes_over_time_accepts_a_table_whose_times_are_all_missing() -> None:
    # a table merged from inputs that all lack times has a Null-typed time column
    untimed = FAILURES.with_columns(pl.lit(None).alias("time"))
    ax = plot_causes_over_time(untimed)
    assert not ax.containers
    assert ax.get_title(loc="left").endswith("(5 without time not shown)")


def test_node_heat_map_counts_cells_and_lists_healthy_nodes() -> None:
    ax = plot_causes_by_node(FAILURES, nodes=["w1", "w2", "w3"])
    image = next(i for i in ax.images if i.get_gid() == "heatmap")
    assert _ytick_labels(ax) == ["w1", "w2", "w3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "ipam_pool_exhausted",  # the root-cause ids, as in every other chart and the legend
        "multus_self_delegation",
        "unknown",
    ]
    assert image.get_array().tolist() == [[0, 2, 1], [2, 0, 0], [0, 0, 0]]
    assert sorted(_texts(ax, "cell")) == ["1", "2", "2"]


def test_bad_failure_frames_and_counts_give_clear_errors() -> None:
    with pytest.raises(ValueError, match="lacks columns \\['root_cause'\\]"):
        plot_causes_by_node(FAILURES.drop("root_cause"))
    with pytest.raises(ValueError, match="count must be 'attempts' or 'pods'"):
        plot_causes_by_node(FAILURES, count="nodes")  # type: ignore[arg-type]


def test_failure_table_labels_each_failed_attempt_with_its_finding(seed: mf.Timelines) -> None:
    log = mf.parse([str(SAMPLES / "seed")], year=2026)
    table = failure_table(seed, mf.diagnose(log))
    assert table["attempt"].to_list() == [1, 2, 3]
    assert set(table["root_cause"]) == {"multus_self_delegation"}
    assert set(table["node"]) == {"edge-node-2"}
    none = failure_table(seed, [])
    assert set(none["root_cause"]) == {"unknown"}
    assert none["confidence"].null_count() == 3


def test_failure_table_takes_the_best_citing_finding_then_the_pods_then_unknown(
    seed: mf.Timelines,
) -> None:
    import dataclasses

    log = mf.parse([str(SAMPLES / "seed")], year=2026)
    real = mf.diagnose(log).findings[0]
    second = [e for e in real.evidence if e.file.endswith("kubelet.journal") and e.line == 15]

    def finding(cause: str, evidence: Any, pods: tuple[str, ...] = ()) -> Any:
        return dataclasses.replace(real, root_cause=cause, rule=cause, evidence=tuple(evidence),
                                   pods=pods)  # fmt: skip

    first = finding("cites_attempt_2", second)
    every = finding("cites_all", real.evidence)
    pod = finding("names_the_pod", (), real.pods)
    # another archive member at the same file and line: its text is not the record's
    other = finding("other_member", [dataclasses.replace(e, text="x", full="x") for e in second])

    def causes(findings: list[Any]) -> list[str]:
        return failure_table(seed, findings).sort("attempt")["root_cause"].to_list()

    assert causes([first, every, pod]) == ["cites_all", "cites_attempt_2", "cites_all"]
    assert causes([every, first]) == ["cites_all"] * 3
    assert causes([first, pod]) == ["names_the_pod", "cites_attempt_2", "names_the_pod"]
    assert causes([other, first]) == ["unknown", "cites_attempt_2", "unknown"]
    table = failure_table(seed, [other, pod])
    assert table["root_cause"].to_list() == ["names_the_pod"] * 3
    assert table["confidence"].to_list() == [real.confidence] * 3


def test_failure_table_over_a_generated_fleet(tmp_path: Any) -> None:
    import runpy

    make_fleet = runpy.run_path(str(SAMPLES.parent / "scripts" / "samples" / "make_fleet.py"))[
        "make_fleet"
    ]
    paths = make_fleet(tmp_path, nodes=6, pods=8, seed=3)
    log = mf.parse([str(p) for p in paths], year=2026)
    tl = mf.build_timelines(log)
    table = failure_table(tl, mf.diagnose(log))
    failed = tl.attempts().filter(pl.col("outcome") == "failed")
    assert table.height == failed.height  # every failed attempt once, none invented
    causes = dict(table.group_by("node").agg(pl.col("root_cause").unique()).iter_rows())
    assert "fleet-worker-1" not in causes
    assert causes["fleet-worker-4"] == ["master_interface_missing"]
    assert causes["fleet-worker-6"] == ["kubeconfig_auth_failure"]
    assert causes["fleet-worker-3"] == ["multus_self_delegation"]


# -- the ax contract ---------------------------------------------------------------------------

PLOTS: list[tuple[str, Callable[[mf.Timelines], Axes]]] = [
    ("add_order", lambda tl: plot_add_order(tl, ax=plt.subplots()[1])),
    ("attempts", lambda tl: plot_attempts(tl, ax=plt.subplots()[1])),
    ("over_time", lambda tl: plot_causes_over_time(FAILURES, ax=plt.subplots()[1])),
    ("by_node", lambda tl: plot_causes_by_node(FAILURES, ax=plt.subplots()[1])),
]


@pytest.mark.parametrize(("name", "draw"), PLOTS, ids=[p[0] for p in PLOTS])
def test_plots_draw_on_the_given_axes_and_never_show(
    name: str, draw: Callable[[mf.Timelines], Axes], seed: mf.Timelines, monkeypatch: Any
) -> None:
    def no_show(*_: object, **__: object) -> None:
        raise AssertionError(f"{name} called show()")

    monkeypatch.setattr(plt, "show", no_show)
    before = set(plt.get_fignums())
    ax = draw(seed)
    assert isinstance(ax, Axes)
    assert set(plt.get_fignums()) - before == {ax.figure.number}  # only the caller's figure


def test_empty_inputs_say_so() -> None:
    empty = mf.build_timelines(mf.parse([str(SAMPLES / "kubectl" / "describe_healthy.txt")]))
    assert "no sandbox attempts" in [t.get_text() for t in plot_add_order(empty).texts]
    assert "no timed sandbox attempts" in [t.get_text() for t in plot_attempts(empty).texts]
    nothing = FAILURES.clear()
    assert "no failed attempts" in [t.get_text() for t in plot_causes_by_node(nothing).texts]
    assert "no failed attempts" in [t.get_text() for t in plot_causes_over_time(nothing).texts]


def test_figure_png_renders_and_closes_the_figure(seed: mf.Timelines) -> None:
    ax = plot_add_order(seed, pod=WEB)
    number = ax.figure.number
    png = figure_png(ax, dpi=50)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert number not in plt.get_fignums()


def test_importing_the_plots_does_not_import_matplotlib() -> None:
    code = "import multus_forensics.plots, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- what a reader can trust: lanes, overlaps, bins, integer counts, labels that fit ------------


@pytest.fixture(scope="module")
def bundles() -> mf.Timelines:
    """The probe pod retried on three nodes, with attempts overlapping on two of them."""
    return mf.build_timelines(mf.parse([str(SAMPLES / "bundles")], year=2026))


def _bar_spans(ax: Axes) -> dict[float, list[tuple[float, float]]]:
    """Every attempt bar's (x0, x1), by the y of its row."""
    rows: dict[float, list[tuple[float, float]]] = {}
    for c in ax.collections:
        if str(c.get_gid()).startswith("attempt:"):
            extent = c.get_paths()[0].get_extents()
            rows.setdefault(round(extent.y0 + 0.3, 6), []).append((extent.x0, extent.x1))
    return rows


def test_overlapping_attempts_get_their_own_rows_in_one_lane_per_node(
    bundles: mf.Timelines,
) -> None:
    ax = plot_attempts(bundles, pod=PROBE)
    labels = _ytick_labels(ax)
    for node in ("master-1", "worker-3", "edge-node-2"):
        assert f"{PROBE} @ {node}" in labels
    assert "(overlapping, row 2)" in labels
    rows = _bar_spans(ax)
    assert sum(len(spans) for spans in rows.values()) == 6  # each attempt is its own bar
    for spans in rows.values():  # and no two bars of one row overlap
        spans.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert sorted(_texts(ax, "attempt-label")) == [f"#{i}" for i in range(1, 7)]


def test_attempt_lanes_pack_overlaps_greedily() -> None:
    def att(n: int, start: int, end: int, node: str) -> dict[str, Any]:
        return {"attempt": n, "start": T0 + timedelta(seconds=start),
                "end": T0 + timedelta(seconds=end), "nodes": node}  # fmt: skip

    key = ("lab", "p", None)
    rows = {key: [att(1, 0, 10, "a"), att(2, 5, 8, "a"), att(3, 11, 12, "a"), att(4, 0, 3, "b")]}
    lanes = attempt_lanes([key], rows)
    assert [(lane.label, [a["attempt"] for a in lane.attempts]) for lane in lanes] == [
        ("lab/p @ a", [1, 3]),
        ("(overlapping, row 2)", [2]),
        ("lab/p @ b", [4]),
    ]


@pytest.mark.parametrize(
    ("span", "width", "label"),
    [
        (timedelta(seconds=41), timedelta(seconds=2), "2 s"),
        (timedelta(minutes=1), timedelta(seconds=2), "2 s"),
        (timedelta(minutes=50), timedelta(minutes=2), "2 min"),
        (timedelta(hours=3), timedelta(minutes=5), "5 min"),
        (timedelta(days=2), timedelta(hours=2), "2 h"),
        (timedelta(days=540), timedelta(days=14), "14 d"),
        (timedelta(0), timedelta(seconds=1), "1 s"),
    ],
)
def test_time_bins_follow_the_span(span: timedelta, width: timedelta, label: str) -> None:
    assert time_bin(span) == width
    assert bin_label(width) == label
    assert span / width <= 40


def test_a_one_minute_incident_is_binned_in_seconds_with_integer_counts() -> None:
    rows = [
        ("w1", "ipam_pool_exhausted", f"p{i}", 1, T0 + timedelta(seconds=4 * i)) for i in range(15)
    ]
    ax = plot_causes_over_time(_failures(rows))
    assert ax.get_ylabel() == "failed attempts per 2 s"
    bars = [r for c in ax.containers for r in c.patches]
    assert len(bars) == 15  # one bar per 2-second bin with a failure, not one full-width block
    lo, hi = ax.get_xlim()
    assert max(r.get_width() for r in bars) < (hi - lo) / 20
    plt.gcf().canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_yticks())


def test_heat_map_colour_bar_counts_in_whole_numbers() -> None:
    rows = [("w1", "ipam_pool_exhausted", f"p{i}", 1, T0) for i in range(7)]
    ax = plot_causes_by_node(_failures(rows), nodes=[f"w{i}" for i in range(1, 7)])
    assert list(ax.figure.axes[-1].get_yticks()) == [0, 2, 4, 6]
    plt.close("all")
    one_row = plot_causes_by_node(_failures(rows))  # a short bar: only its ends are labelled
    assert list(one_row.figure.axes[-1].get_yticks()) == [0, 7]


def test_causes_have_one_name_in_every_chart() -> None:
    over_time = plot_causes_over_time(FAILURES, every=timedelta(minutes=30))
    by_node = plot_causes_by_node(FAILURES)
    legend = {t.get_text() for t in over_time.get_legend().get_texts()}
    ticks = {t.get_text() for t in by_node.get_xticklabels()}
    assert legend == ticks == set(FAILURES["root_cause"])


def _inside(inner: Any, outer: Any, slack: float = 0.5) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y0 >= outer.y0 - slack
        and inner.y1 <= outer.y1 + slack
    )


@pytest.mark.parametrize("size", [None, (10.0, 4.7)])  # the function's own size, the report's
def test_add_order_labels_fit_their_boxes_and_the_figure(size: tuple[float, float] | None) -> None:
    both = mf.build_timelines(
        mf.parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026)
    )
    ax = None
    if size is not None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    ax = plot_add_order(both, ax=ax)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [p for p in ax.patches if p.get_gid() in ("step", "reentry", "failure")]
    labels = [t for t in ax.texts if t.get_gid() in ("step-label", "failure-label")]
    assert len(labels) == len(boxes) > 10
    for text in labels:
        extent = text.get_window_extent(renderer)
        x, y = text.get_position()
        box = next(b for b in boxes if b.contains_point(ax.transData.transform((x, y))))
        assert _inside(extent, box.get_window_extent(renderer)), text.get_text()
    figure_box = fig.bbox
    for text in [*ax.texts, *ax.get_yticklabels(), *ax.get_legend().get_texts()]:
        assert _inside(text.get_window_extent(renderer), figure_box), text.get_text()


def test_add_order_texts_never_overlap_even_when_the_order_is_unknown(
    bundles: mf.Timelines,
) -> None:
    _, ax = plt.subplots(figsize=(10, 1.2 + 0.5 * 6), layout="constrained")  # the report's size
    plot_add_order(bundles, pod=PROBE, ax=ax)
    assert len(_texts(ax, "unknown")) == 3  # attempts 3, 5 and 6 have no Add: lines
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [t for t in ax.texts if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, texts, strict=True), 2):
        assert not a.overlaps(b), (ta.get_text(), tb.get_text())
