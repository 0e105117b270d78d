"""multus_forensics: forensics on Kubernetes node logs when Multus pod networking fails.

Parse kubelet, runtime, Multus and kubectl output into typed events, rebuild per-pod timelines,
and classify root causes. Heavy modules load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multus_forensics._lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first attribute access)
_EXPORTS: dict[str, str] = {
    "parse": "multus_forensics.pipeline",
    "EventLog": "multus_forensics.eventlog",
    "ParseStats": "multus_forensics.eventlog",
    "scan_events": "multus_forensics.eventlog",
    "Event": "multus_forensics.model",
    "ParseIssue": "multus_forensics.model",
    "FileStats": "multus_forensics.model",
    "MultusForensicsError": "multus_forensics.errors",
    "InputError": "multus_forensics.errors",
    "FormatError": "multus_forensics.errors",
    "ParseError": "multus_forensics.errors",
    "Limits": "multus_forensics.ingest",
    "run_batch": "multus_forensics.batch",
    "write_report": "multus_forensics.report",
    "unwrap_error": "multus_forensics.chain",
    "ErrorChain": "multus_forensics.chain",
    "Layer": "multus_forensics.chain",
    "build_timelines": "multus_forensics.timeline",
    "Timelines": "multus_forensics.timeline",
    "diagnose": "multus_forensics.classify",
    "load_catalog": "multus_forensics.classify",
    "Finding": "multus_forensics.classify",
    "Catalog": "multus_forensics.classify",
    "plot_add_order": "multus_forensics.plots",
    "plot_attempts": "multus_forensics.plots",
    "plot_causes_over_time": "multus_forensics.plots",
    "plot_causes_by_node": "multus_forensics.plots",
    "failure_table": "multus_forensics.plots",
    "watch": "multus_forensics.watch",
    "awatch": "multus_forensics.watch",
}

__all__ = [
    "Catalog",
    "ErrorChain",
    "Event",
    "EventLog",
    "FileStats",
    "Finding",
    "FormatError",
    "InputError",
    "Layer",
    "Limits",
    "MultusForensicsError",
    "ParseError",
    "ParseIssue",
    "ParseStats",
    "Timelines",
    "__version__",
    "awatch",
    "build_timelines",
    "diagnose",
    "failure_table",
    "load_catalog",
    "parse",
    "plot_add_order",
    "plot_attempts",
    "plot_causes_by_node",
    "plot_causes_over_time",
    "run_batch",
    "scan_events",
    "unwrap_error",
    "watch",
    "write_report",
]

if TYPE_CHECKING:
    from multus_forensics.batch import run_batch
    from multus_forensics.chain import ErrorChain, Layer, unwrap_error
    from multus_forensics.classify import Catalog, Finding, diagnose, load_catalog
    from multus_forensics.errors import (
        FormatError,
        InputError,
        MultusForensicsError,
        ParseError,
    )
    from multus_forensics.eventlog import EventLog, ParseStats
    from multus_forensics.ingest import Limits
    from multus_forensics.model import Event, FileStats, ParseIssue
    from multus_forensics.pipeline import parse
    from multus_forensics.plots import (
        failure_table,
        plot_add_order,
        plot_attempts,
        plot_causes_by_node,
        plot_causes_over_time,
    )
    from multus_forensics.report import write_report
    from multus_forensics.timeline import Timelines, build_timelines
    from multus_forensics.watch import awatch, watch


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
