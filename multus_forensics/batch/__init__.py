"""Batch execution: many inputs parsed in parallel, merged in input order.

:func:`run_batch` is the entry point (local processes by default, a Dask cluster when given);
:func:`iter_batch` streams per-input results for callers that aggregate as they go;
:func:`parse_streams` spreads the streams of one input (a bundle's members) over the workers,
cut to the rows an analysis reads (:func:`keep_spec`).
"""

from multus_forensics.batch.compact import KeepSpec, keep_spec
from multus_forensics.batch.runner import (
    BatchResult,
    ParseOptions,
    UnitResult,
    active_dask_client,
    iter_batch,
    merge_logs,
    parse_unit,
    run_batch,
)
from multus_forensics.batch.streams import StreamedLog, parse_streams
from multus_forensics.batch.units import Unit, group_units

__all__ = [
    "BatchResult",
    "KeepSpec",
    "ParseOptions",
    "StreamedLog",
    "Unit",
    "UnitResult",
    "active_dask_client",
    "group_units",
    "iter_batch",
    "keep_spec",
    "merge_logs",
    "parse_streams",
    "parse_unit",
    "run_batch",
]
