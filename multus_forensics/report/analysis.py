"""Adapters to the analysis stages (timeline, classify, plots), which are separate packages.

Each adapter returns plain JSON-ready data. When a stage is not installed in this tree, the
adapter returns an empty result and appends a note that the report shows ("... not available"),
so a missing stage never hides the parse coverage. A stage that *is* installed and fails raises:
that is a bug to see, not to paper over.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

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


def _plain(value: Any) -> Any:
    """Findings and templates as JSON-ready dicts, whatever container the classifier uses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def diagnosis_dict(log: EventLog, notes: list[str]) -> dict[str, Any]:
    """``{"findings", "unclassified", "stats"}`` as ``diagnose --json`` prints them."""
    totals = log.stats.as_dict()
    stats = {k: totals[k] for k in ("files", "lines", "events", "unparsed_lines")}
    diagnose = optional_function("classify", "diagnose")
    if diagnose is None:
        notes.append("Root-cause classification is not available (multus_forensics.classify).")
        return {"findings": [], "unclassified": [], "stats": stats}
    result = diagnose(log)
    if hasattr(result, "to_dict"):
        out = dict(result.to_dict())
    else:
        out = {
            "findings": _plain(list(getattr(result, "findings", []))),
            "unclassified": _plain(list(getattr(result, "unclassified", []))),
        }
    out.setdefault("stats", stats)
    for where, why in getattr(result, "unreadable", []):
        notes.append(f"Not read: {where}: {why}")
    return {"findings": out["findings"], "unclassified": out["unclassified"], **out}


def timelines_for(frame: pl.DataFrame, notes: list[str]) -> Any | None:
    """The :class:`multus_forensics.timeline.Timelines` of ``frame``, or ``None`` (with a note)."""
    build_timelines = optional_function("timeline", "build_timelines")
    if build_timelines is None:
        notes.append("Sandbox-attempt timelines are not available (multus_forensics.timeline).")
        return None
    return build_timelines(frame)


def plots_for(
    frame: pl.DataFrame, timelines: Any | None, sections: list[PodSection], notes: list[str]
) -> list[Plot]:
    """PNG figures for the HTML report, drawn by ``multus_forensics.plots`` helpers."""
    if optional_function("plots", "__name__") is None:
        notes.append("Plots are not available (multus_forensics.plots).")
        return []
    del frame, timelines, sections
    return []
