"""PNG figures for the HTML report, drawn by the :mod:`multus_forensics.plots` helpers.

Each figure is a standalone ``matplotlib.figure.Figure`` (no pyplot state, so batch workers
never accumulate open figures) rendered to PNG bytes that the page embeds as ``data:`` URIs.
Per-pod figures (attempts over time, interface add order) are drawn for the first
:data:`PLOT_PODS` pods with failed attempts; fleet figures (root causes over time, by node) are
drawn from the failure table, which is small enough to combine across bundles for the index.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.report.data import FrameRows, Plot, PodSection

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: pods that get their own figures, in report order (affected pods first): each figure costs
#: about half a second to draw, and the page stays small
PLOT_PODS: Final = 3
DPI: Final = 90


def png(draw: Callable[..., Axes], size: tuple[float, float]) -> bytes:
    """Run ``draw(ax=ax)`` on a new figure of ``size`` inches and return the PNG bytes.

    The figure is drawn once: ``savefig`` with a layout engine first draws the whole figure
    without rendering, for the layout alone, then draws it again to render. Here the layout
    is made by the engine itself at the saved resolution and the engine then taken off, so
    ``savefig`` renders at once (the same pixels; a tenth of a figure's time)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    draw(ax=fig.subplots())
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def failure_rows(timelines: Any, diagnosis: Any) -> FrameRows:
    """One row per failed attempt with its root cause (``plots.failure_table``), as dicts
    only when read as rows."""
    from multus_forensics.plots import failure_table

    return FrameRows(failure_table(timelines, diagnosis))


def pod_plots(timelines: Any, sections: Sequence[PodSection]) -> list[Plot]:
    """Attempts and add-order figures for the first pods whose attempts failed."""
    from multus_forensics.plots import plot_add_order, plot_attempts

    plots: list[Plot] = []
    failing = [
        s
        for s in sections
        if any(a.get("outcome") == "failed" for a in s.tables.get("attempts", []))
    ]
    for section in failing[:PLOT_PODS]:
        lanes = min(12, len(section.tables["attempts"]))
        pod = section.pod
        plots.append(
            Plot(
                f"{pod}: sandbox attempts over time",
                png(partial(plot_attempts, timelines, pod=pod), (10, 2.2)),
                pod,
            )
        )
        if section.tables.get("interfaces"):
            plots.append(
                Plot(
                    f"{pod}: interface add order per attempt",
                    png(partial(plot_add_order, timelines, pod=pod), (10, 1.2 + 0.5 * lanes)),
                    pod,
                )
            )
    return plots


def fleet_plots(failures: Sequence[dict[str, Any]], nodes: Sequence[str]) -> list[Plot]:
    """Root causes of failed attempts over time and by node (nothing when nothing failed):
    from the failure table's own frame when it has one, else from its rows (an index's rows
    over several inputs)."""
    if not failures:
        return []
    import polars as pl

    from multus_forensics.plots import plot_causes_by_node, plot_causes_over_time

    frame = failures.frame if isinstance(failures, FrameRows) else pl.DataFrame(list(failures))
    node_list = sorted(set(nodes))
    return [
        Plot(
            "Failed sandbox attempts by root cause over time",
            png(partial(plot_causes_over_time, frame), (10, 3.2)),
        ),
        Plot(
            "Failed sandbox attempts by node and root cause",
            png(
                partial(plot_causes_by_node, frame, nodes=node_list),
                (10, 1.5 + 0.35 * max(1, len(node_list))),
            ),
        ),
    ]
