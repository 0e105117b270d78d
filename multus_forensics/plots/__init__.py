"""Matplotlib figures of timelines and findings: each ``f(data, *, ax=None) -> Axes``.

Every function draws on ``ax`` (a new figure when ``None``), returns the Axes and never calls
``show()``. matplotlib is imported only when a function draws, so importing this package (or
``multus_forensics``) stays light.

* :func:`plot_add_order` — interface add order per sandbox attempt, failing step and error,
  self-delegation re-entry highlighted.
* :func:`plot_attempts` — sandbox attempts as bars over time per pod, outcome and retry gaps.
* :func:`failure_table`, :func:`plot_causes_over_time`, :func:`plot_causes_by_node` — failed
  attempts labelled with their root cause, over time and as a node × cause heat map.
* :func:`figure_png` — a drawn figure as PNG bytes (closed afterwards), for reports.
"""

from __future__ import annotations

from multus_forensics.plots._common import figure_png
from multus_forensics.plots.add_order import Lane, Step, add_order_lanes, plot_add_order
from multus_forensics.plots.attempts import plot_attempts
from multus_forensics.plots.fleet import (
    cause_colors,
    failure_table,
    plot_causes_by_node,
    plot_causes_over_time,
)

__all__ = [
    "Lane",
    "Step",
    "add_order_lanes",
    "cause_colors",
    "failure_table",
    "figure_png",
    "plot_add_order",
    "plot_attempts",
    "plot_causes_by_node",
    "plot_causes_over_time",
]
