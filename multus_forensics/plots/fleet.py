"""Fleet view for batch work: failed sandbox attempts by root cause over time and by node.

:func:`failure_table` labels every failed attempt of a :class:`~multus_forensics.Timelines` with
the root cause of the best finding that cites one of its records as evidence (findings are ranked
best first, so where two causes share a line the stronger one wins); an attempt no evidence
points at takes the best finding naming its pod, else ``unknown``. Nothing is dropped: each failed
attempt is one row. The two plots draw that table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from multus_forensics.plots._common import as_polars, date_axis, date_num, new_axes

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.axes import Axes

    from multus_forensics.classify import Finding
    from multus_forensics.timeline import Timelines

Count = Literal["attempts", "pods"]
UNKNOWN: Final = "unknown"
UNKNOWN_COLOR: Final = "#bdbdbd"
_CAUSE_CYCLE: Final = (
    "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78",
)  # fmt: skip
_PREFIX: Final = 60  # evidence text and event raw compared on this many leading characters


def _pod_label(namespace: str | None, pod: str | None) -> str:
    return f"{namespace}/{pod}" if namespace else str(pod)


def failure_table(timelines: Timelines, findings: Iterable[Finding]) -> pl.DataFrame:
    """One row per failed attempt: node, pod, attempt, start time and its root cause.

    ``findings`` is what :func:`multus_forensics.diagnose` returned for the same events (a
    ``Diagnosis`` or any iterable of findings, best first). Columns: ``node`` (``unknown`` when
    no record names one), ``namespace``, ``pod``, ``pod_uid``, ``attempt``, ``time`` (UTC
    start), ``root_cause``, ``rule``, ``confidence`` (null for ``unknown``),
    ``error_signature``.
    """
    import polars as pl

    ranked = list(findings)
    keys = ["namespace", "pod", "pod_uid", "attempt"]
    cites = pl.DataFrame(
        {
            "_rank": [i for i, f in enumerate(ranked) for _ in f.evidence],
            "file": [e.file for f in ranked for e in f.evidence],
            "line": [e.line for f in ranked for e in f.evidence],
            "_text": [e.full or e.text for f in ranked for e in f.evidence],
        },
        schema={"_rank": pl.Int64, "file": pl.String, "line": pl.Int64, "_text": pl.String},
    )
    # only the events that evidence cites can carry a cause: chosen before any row is read;
    # an attempt takes the best finding citing one of its records. One (file, line) can name
    # several archive members: the text tells them apart.
    events = timelines.events_at(cites.select("file", "line"), ["raw"])
    cause = (
        events.filter(pl.col("attempt").is_not_null())
        .select("file", "line", pl.col("raw").str.slice(0, _PREFIX).alias("_raw"), *keys)
        .join(cites, on=["file", "line"], how="inner")
        .filter(pl.col("_text").str.starts_with(pl.col("_raw")))
        .group_by(keys)
        .agg(pl.col("_rank").min())
    )
    by_pod: dict[str, int] = {}
    for i, f in enumerate(ranked):
        for p in f.pods:
            by_pod.setdefault(p, i)
    named = pl.DataFrame(
        {"_label": list(by_pod), "_named": list(by_pod.values())},
        schema={"_label": pl.String, "_named": pl.Int64},
    )
    best = pl.DataFrame(
        {
            "_best": range(len(ranked)),
            "root_cause": [f.root_cause for f in ranked],
            "rule": [f.rule for f in ranked],
            "confidence": [f.confidence for f in ranked],
        },
        schema={"_best": pl.Int64, "root_cause": pl.String, "rule": pl.String,
                "confidence": pl.Float64},
    )  # fmt: skip
    # per failed attempt: its own nodes, else its pod's; its cause, else its pod's (joins)
    pods = timelines.pods().select("namespace", "pod", "pod_uid", pl.col("nodes").alias("_pod"))
    pod_name = pl.col("pod").fill_null("None")  # as f"{namespace}/{pod}" spells a missing one
    label = (
        pl.when(pl.col("namespace").fill_null("") != "")
        .then(pl.concat_str([pl.col("namespace"), pl.lit("/"), pod_name]))
        .otherwise(pod_name)
    )
    failed = timelines.attempts(layers=False).filter(pl.col("outcome") == "failed")
    failed = _left(failed, pods, ["namespace", "pod", "pod_uid"])
    failed = _left(failed, cause, keys).with_columns(label.alias("_label"))
    failed = _left(failed, named, ["_label"])
    failed = _left(
        failed.with_columns(pl.coalesce("_rank", "_named").alias("_best")), best, ["_best"]
    )
    return failed.select(
        pl.coalesce("nodes", "_pod").str.split(",").list.first().fill_null(UNKNOWN).alias("node"),
        "namespace", "pod", "pod_uid", "attempt",
        pl.coalesce("start", "end").alias("time"),
        pl.col("root_cause").fill_null(UNKNOWN), "rule", "confidence", "error_signature",
    )  # fmt: skip


def _left(frame: pl.DataFrame, other: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """``frame`` with ``other``'s columns where the keys match (nulls too), rows in order."""
    return frame.join(other, on=on, how="left", nulls_equal=True, maintain_order="left")


def cause_colors(causes: Iterable[str]) -> dict[str, str]:
    """A stable colour per root cause (sorted order), ``unknown`` always grey."""
    named = sorted(set(causes) - {UNKNOWN})
    colors = {c: _CAUSE_CYCLE[i % len(_CAUSE_CYCLE)] for i, c in enumerate(named)}
    colors[UNKNOWN] = UNKNOWN_COLOR
    return colors


def _check(frame: pl.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"failure table lacks columns {missing}; build it with failure_table()")


def _counted(frame: pl.DataFrame, by: list[str], count: Count) -> pl.DataFrame:
    import polars as pl

    if count == "pods":
        return frame.group_by(by).agg(
            pl.struct("namespace", "pod", "pod_uid").n_unique().alias("n")
        )
    if count != "attempts":
        raise ValueError(f"count must be 'attempts' or 'pods', not {count!r}")
    return frame.group_by(by).agg(pl.len().alias("n"))


#: bin widths :func:`time_bin` chooses from, in seconds (round numbers a reader counts in)
BIN_WIDTHS: Final = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600,
    12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400,
)  # fmt: skip
#: at most this many bins over the plotted span
MAX_BINS: Final = 40


def time_bin(span: timedelta) -> timedelta:
    """The narrowest round bin giving at most :data:`MAX_BINS` bins over ``span`` (a
    one-minute incident is binned in seconds, a fortnight in hours)."""
    for width in BIN_WIDTHS:
        if span.total_seconds() < width * MAX_BINS:
            return timedelta(seconds=width)
    return timedelta(seconds=BIN_WIDTHS[-1])


def bin_label(every: timedelta) -> str:
    """``10 s``, ``5 min``, ``2 h``, ``7 d``: a bin width in the unit a person would use."""
    seconds = every.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def plot_causes_over_time(
    failures: Any,
    *,
    every: timedelta | None = None,
    count: Count = "attempts",
    ax: Axes | None = None,
) -> Axes:
    """Stacked bars of failed attempts (or distinct pods) per root cause in ``every`` bins.

    ``failures`` is a :func:`failure_table` frame (polars or pandas); rows without a time are
    counted in the title. ``every`` defaults to :func:`time_bin` of the times' span. Counts have
    integer ticks. Returns the Axes; never calls ``show()``.
    """
    import polars as pl
    from matplotlib.ticker import MaxNLocator

    frame = as_polars(failures)
    _check(frame, ("time", "root_cause", "namespace", "pod", "pod_uid"))
    # a table merged from inputs that all lack times has a Null-typed column
    frame = frame.with_columns(pl.col("time").cast(pl.Datetime("us", "UTC")))
    timed = frame.filter(pl.col("time").is_not_null())
    if every is None:
        times = timed["time"]
        span = times.max() - times.min() if timed.height else timedelta(0)
        every = time_bin(span if isinstance(span, timedelta) else timedelta(0))
    binned = timed.with_columns(pl.col("time").dt.truncate(every).alias("bin"))
    counts = _counted(binned, ["bin", "root_cause"], count).sort("bin", "root_cause")
    ax = new_axes(ax, (10.0, 4.2))
    colors = cause_colors(frame["root_cause"].to_list())
    width = every.total_seconds() / 86400 * 0.9
    bins = sorted(set(counts["bin"].to_list()))
    bottom = dict.fromkeys(bins, 0)
    order = sorted(set(counts["root_cause"].to_list()), key=lambda c: (c == UNKNOWN, c))
    for cause in order:
        part = counts.filter(pl.col("root_cause") == cause)
        xs = [date_num(b) + width / 2 for b in part["bin"].to_list()]
        ns = part["n"].to_list()
        ax.bar(xs, ns, width=width, bottom=[bottom[b] for b in part["bin"].to_list()],
               color=colors[cause], label=cause, gid=f"cause:{cause}")  # fmt: skip
        for b, n in zip(part["bin"].to_list(), ns, strict=True):
            bottom[b] += n
    if bins:  # one empty bin each side: a lone bar reads as a bin, not as the whole axis
        step = every.total_seconds() / 86400
        ax.set_xlim(date_num(bins[0]) - step, date_num(bins[-1]) + 2 * step)
    date_axis(ax)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(f"failed {count} per {bin_label(every)}")
    untimed = frame.height - timed.height
    title = "Failures by root cause over time"
    if untimed:
        title += f" ({untimed} without time not shown)"
    ax.set_title(title, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if order:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no failed attempts", transform=ax.transAxes, ha="center", va="center")
    return ax


def plot_causes_by_node(
    failures: Any,
    *,
    count: Count = "attempts",
    nodes: Iterable[str] = (),
    ax: Axes | None = None,
) -> Axes:
    """Heat map of failed attempts (or distinct pods): one row per node, one column per cause.

    Each cell is annotated with its count; nodes sort by total, causes by total. ``nodes`` adds
    rows for nodes without any failure (a healthy node is worth seeing). Returns the Axes; never
    calls ``show()``.
    """
    import numpy as np
    import polars as pl

    frame = as_polars(failures)
    _check(frame, ("node", "root_cause", "namespace", "pod", "pod_uid"))
    counts = _counted(frame, ["node", "root_cause"], count)
    totals_n = (
        counts.group_by("node").agg(pl.col("n").sum()).sort(["n", "node"], descending=[True, False])
    )
    totals_c = (
        counts.group_by("root_cause")
        .agg(pl.col("n").sum())
        .sort(["n", "root_cause"], descending=[True, False])
    )
    failing = totals_n["node"].to_list()
    nodes = failing + sorted(set(nodes) - set(failing))
    causes = sorted(totals_c["root_cause"].to_list(), key=lambda c: c == UNKNOWN)
    grid = np.zeros((len(nodes), len(causes)), dtype=int)
    for r in counts.iter_rows(named=True):
        grid[nodes.index(r["node"]), causes.index(r["root_cause"])] = r["n"]
    ax = new_axes(ax, (2.5 + 1.3 * max(len(causes), 1), 1.5 + 0.45 * max(len(nodes), 1)))
    if not causes:
        ax.text(0.5, 0.5, "no failed attempts", transform=ax.transAxes, ha="center", va="center")
        ax.set_title("Failures by node and root cause", loc="left")
        return ax
    image = ax.imshow(grid, cmap="Reds", aspect="auto", vmin=0, vmax=max(int(grid.max()), 1))
    image.set_gid("heatmap")
    high = grid.max() * 0.6
    for i in range(len(nodes)):
        for j in range(len(causes)):
            if grid[i, j]:
                ax.text(j, i, str(grid[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] > high else "black", gid="cell")  # fmt: skip
    ax.set_xticks(range(len(causes)), causes, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(nodes)), nodes, fontsize=8)
    ax.set_title(f"Failed {count} by node and root cause", loc="left")
    bar = ax.figure.colorbar(image, ax=ax, label=f"failed {count}", shrink=0.8)
    bar.set_ticks(_integer_ticks(int(grid.max()), most=min(6, 1 + len(nodes))))
    return ax


def _integer_ticks(top: int, most: int = 6) -> list[int]:
    """At most ``most`` whole-number ticks from 0 to ``top`` (a count has no 2.5); a short
    colour bar (one or two node rows) gets fewer, so its labels never run into each other."""
    top = max(top, 1)
    step = max(1, -(-top // max(most - 1, 1)))
    ticks = list(range(0, top + 1, step))
    return ticks if ticks[-1] == top or len(ticks) < most else [*ticks[:-1], top]
