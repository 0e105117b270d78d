"""Adapters to the analysis stages (timeline, classify, plots), which are separate packages.

When a stage is not installed in this tree, its adapter returns an empty result (``None``, no
findings, no figures) and appends a note that the report shows ("... not available"), so a
missing stage never hides the parse coverage. A stage that *is* installed and fails raises: that
is a bug to see, not to paper over.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multus_forensics.eventlog import EventLog
    from multus_forensics.report.data import Plot, PodSection


def optional_function(module: str, name: str) -> Callable[..., Any] | None:
    """``multus_forensics.<module>.<name>``, or ``None`` while that stage is not in the tree.

    Only the stage's own absence counts (the package, or the function in a package still being
    built); an import error *inside* an existing stage propagates.
    """
    full = f"multus_forensics.{module}"
    try:
        mod = importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (exc.name == full or full.startswith(exc.name + ".")):
            return None
        raise
    func = getattr(mod, name, None)
    return func if callable(func) else None


def diagnose_log(
    log: EventLog, notes: list[str], timelines: Any | None = None
) -> tuple[dict[str, Any], Any | None]:
    """``{"findings", "unclassified", "stats"}`` as ``diagnose --json`` prints them, and the
    classifier's own result (``None`` when the classify stage is not installed)."""
    totals = log.stats.as_dict()
    stats = {k: totals[k] for k in ("files", "lines", "events", "unparsed_lines", "header_lines")}
    diagnose = optional_function("classify", "diagnose")
    if diagnose is None:
        notes.append("Root-cause classification is not available (multus_forensics.classify).")
        return {"findings": [], "unclassified": [], "stats": stats}, None
    result = diagnose(log, timelines=timelines)
    out = dict(result.to_dict())
    out.setdefault("stats", stats)
    for where, why in result.unreadable:
        notes.append(f"Not read: {where}: {why}")
    return out, result


def timelines_for(log: EventLog, notes: list[str]) -> Any | None:
    """The :class:`multus_forensics.timeline.Timelines` of ``log``, or ``None`` (with a note).

    Built from the log itself, not its frame: a frame would be conformed to the schema again,
    a second copy of every string column held as long as the timelines."""
    build_timelines = optional_function("timeline", "build_timelines")
    if build_timelines is None:
        notes.append("Sandbox-attempt timelines are not available (multus_forensics.timeline).")
        return None
    return build_timelines(log)


def figures_for(
    timelines: Any | None,
    diagnosis: Any | None,
    sections: list[PodSection],
    nodes: list[str],
    notes: list[str],
    *,
    draw: bool = True,
) -> tuple[list[Plot], Sequence[dict[str, Any]]]:
    """Fleet and per-pod PNG figures (when ``draw``) and the failure table (failed attempts
    with their root causes)."""
    if optional_function("plots", "plot_attempts") is None:
        notes.append("Plots are not available (multus_forensics.plots).")
        return [], []
    if timelines is None:
        return [], []
    from multus_forensics.report.figures import failure_rows, fleet_plots, pod_plots

    failures: Sequence[dict[str, Any]] = (
        failure_rows(timelines, diagnosis) if diagnosis is not None else []
    )
    if not draw:
        return [], failures
    return fleet_plots(failures, nodes) + pod_plots(timelines, sections), failures
