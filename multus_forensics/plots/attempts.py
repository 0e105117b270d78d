"""Attempt timeline: each pod's sandbox attempts as bars over time, coloured by outcome.

One lane per pod and node (a pod retried on three nodes gets three lanes, labelled with the
node); attempts of one lane that overlap in time are stacked in extra rows of that lane, so six
overlapping attempts are six bars, never one solid block. A bar spans an attempt's first to last
timed record and is coloured ready, failed, torn down or unknown. The pause between one
attempt's end and the next one's start in the same row (the kubelet's retry back-off) is drawn
as a dotted line labelled with its length. Attempts shorter than a sliver of the whole span
still get a visible minimum width; attempts without any time cannot be placed and are counted
in the title instead of being dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from multus_forensics.plots._common import (
    OUTCOME_COLORS,
    date_axis,
    date_num,
    new_axes,
    rows_of_pods,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from multus_forensics.timeline import Timelines

#: a bar is at least this fraction of the plotted time span wide
MIN_WIDTH_FRACTION = 0.006
#: retry gaps narrower than this fraction of the span get the dotted line but no label
MIN_LABELLED_GAP_FRACTION = 0.05


def _gap_label(seconds: float) -> str:
    if seconds < 60:
        return f"+{seconds:.1f} s"
    if seconds < 3600:
        return f"+{seconds / 60:.1f} min"
    return f"+{seconds / 3600:.1f} h"


def plot_attempts(
    timelines: Timelines,
    *,
    pod: str | None = None,
    max_pods: int = 40,
    ax: Axes | None = None,
) -> Axes:
    """Draw the sandbox attempts of ``pod`` (all pods when ``None``) over time.

    At most ``max_pods`` rows, in timeline order (the title says how many were left out). A retry
    gap is labelled when it is wide enough to read. Times are UTC. Returns the Axes; never calls
    ``show()``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    selected = [t.key for t in timelines.select(pod)]
    keys = selected[:max_pods]
    rows: dict[Any, list[dict[str, Any]]] = {k: [] for k in keys}
    for r in rows_of_pods(timelines.attempts(layers=False), keys):
        rows[(r["namespace"], r["pod"], r["pod_uid"])].append(r)
    timed = [r for k in keys for r in rows[k] if r["start"] is not None]
    untimed = sum(len(rows[k]) for k in keys) - len(timed)
    starts = [r["start"] for r in timed]
    ends = [r["end"] or r["start"] for r in timed]
    span = (max(ends) - min(starts)).total_seconds() if timed else 0.0
    min_days = max(span, 1.0) * MIN_WIDTH_FRACTION / 86400
    label_room = max(span, 1.0) * MIN_LABELLED_GAP_FRACTION / 86400
    lanes = attempt_lanes(keys, rows, min_days)
    ax = new_axes(ax, (10.0, 1.4 + 0.55 * max(len(lanes), 1)))
    # the limits are set below (or autoscaled once at draw): each bar added must not rescale
    # the view on the next one's arrival (a pod's 50 bars were a fifth of its figure)
    autoscale = ax.get_autoscalex_on(), ax.get_autoscaley_on()
    ax.set_autoscale_on(False)
    for i, lane in enumerate(lanes):
        y = -float(i)
        own = lane.attempts
        last_label = -float("inf")
        for j, r in enumerate(own):
            x0 = date_num(r["start"])
            x1 = date_num(r["end"] or r["start"])
            outcome = r["outcome"] or "unknown"
            ax.broken_barh(
                [(x0, max(x1 - x0, min_days))], (y - 0.3, 0.6),
                facecolors=OUTCOME_COLORS.get(outcome, OUTCOME_COLORS["unknown"]),
                edgecolors="black" if r["outcome_inferred"] else "white",
                linestyles="dotted" if r["outcome_inferred"] else "solid",
                gid=f"attempt:{outcome}",
            )  # fmt: skip
            if x0 - last_label >= label_room:  # numbers of attempts packed together would overlap
                ax.text(x0, y + 0.34, f"#{r['attempt']}", fontsize=7, va="bottom",
                        gid="attempt-label")  # fmt: skip
                last_label = x0
            nxt = own[j + 1] if j + 1 < len(own) else None
            if nxt is not None and r["end"] is not None and nxt["start"] > r["end"]:
                g0, g1 = x0 + max(x1 - x0, min_days), date_num(nxt["start"])  # bar's visible end
                if g1 > g0:  # the line ax.plot makes, without its argument parsing per gap
                    ax.add_line(
                        Line2D(
                            [g0, g1], [y, y], linestyle=":", color="0.35", linewidth=1, gid="gap"
                        )
                    )
                gap = (nxt["start"] - r["end"]).total_seconds()
                if gap < span * MIN_LABELLED_GAP_FRACTION:
                    continue
                ax.text((x1 + g1) / 2, y - 0.34, _gap_label(gap), ha="center", va="top",
                        fontsize=7, color="0.3", gid="gap-label")  # fmt: skip
        if lane.row and i:  # a lane's extra rows: one bracket joins them to its first row
            ax.plot([0, 0], [y - 0.3, y + 0.7], color="0.6", linewidth=1,
                    transform=ax.get_yaxis_transform(), clip_on=False, gid="overlap-bracket")  # fmt: skip
    ax.set_autoscalex_on(autoscale[0])
    ax.set_autoscaley_on(autoscale[1])
    ax.set_yticks([-float(i) for i in range(len(lanes))], [lane.label for lane in lanes])
    ax.tick_params(axis="y", labelsize=8, length=0)
    ax.set_ylim(-max(len(lanes), 1) + 0.35, 0.75)
    if timed:
        pad = max(span * 0.04, 1.0) / 86400
        ax.set_xlim(date_num(min(starts)) - pad, date_num(max(ends)) + 8 * min_days)
        date_axis(ax)
    else:
        ax.text(0.5, 0.5, "no timed sandbox attempts", transform=ax.transAxes,
                ha="center", va="center")  # fmt: skip
    ax.set_xlabel("time (UTC)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    title = "Sandbox attempts" + (f": {pod}" if pod else "")
    if len(selected) > len(keys):
        title += f" (first {len(keys)} of {len(selected)} pods)"
    if untimed:
        title += f" ({untimed} attempt{'s' * (untimed > 1)} without time not shown)"
    ax.set_title(title, loc="left")
    seen = {r["outcome"] or "unknown" for r in timed}
    handles = [Patch(facecolor=c, label=o) for o, c in OUTCOME_COLORS.items() if o in seen]
    if any(r["outcome_inferred"] for r in timed):
        handles.append(Patch(facecolor="white", edgecolor="black", linestyle="dotted",
                             label="outcome inferred from a repeated event"))  # fmt: skip
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False)  # fmt: skip
    return ax


def _start(row: dict[str, Any]) -> datetime:
    start: datetime = row["start"]
    return start


@dataclass(frozen=True)
class AttemptLane:
    """One drawn row: a pod on one node, ``row`` > 0 for the rows of overlapping attempts."""

    pod: str
    node: str | None
    row: int
    attempts: list[dict[str, Any]]

    @property
    def label(self) -> str:
        if self.row:
            return f"(overlapping, row {self.row + 1})"
        return self.pod + (f" @ {self.node}" if self.node else "")


def attempt_lanes(
    keys: list[Any], rows: dict[Any, list[dict[str, Any]]], min_days: float = 0.0
) -> list[AttemptLane]:
    """The rows :func:`plot_attempts` draws: per pod (in ``keys`` order) one lane per node (in
    order of first attempt), each lane's attempts packed greedily into as few rows as keep
    every bar (at least ``min_days`` wide) apart from the others in its row."""
    lanes: list[AttemptLane] = []
    for key in keys:
        pod = f"{key[0]}/{key[1]}" if key[0] else str(key[1])
        by_node: dict[str | None, list[dict[str, Any]]] = {}
        for r in sorted((r for r in rows[key] if r["start"] is not None), key=_start):
            by_node.setdefault(r["nodes"], []).append(r)
        if not by_node:
            lanes.append(AttemptLane(pod, None, 0, []))
        for node, attempts in by_node.items():
            packed: list[list[dict[str, Any]]] = []
            ends: list[float] = []
            for r in attempts:
                x0 = date_num(r["start"])
                x1 = max(date_num(r["end"] or r["start"]), x0 + min_days)
                free = next((i for i, end in enumerate(ends) if end < x0), None)
                if free is None:
                    packed.append([r])
                    ends.append(x1)
                else:
                    packed[free].append(r)
                    ends[free] = x1
            node_label = node if len(by_node) > 1 or node else None
            lanes.extend(AttemptLane(pod, node_label, i, p) for i, p in enumerate(packed))
    return lanes
