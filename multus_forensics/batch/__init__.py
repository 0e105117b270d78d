"""Batch execution: many inputs parsed in parallel, merged in input order.

:func:`run_batch` is the entry point (local processes by default, a Dask cluster when given);
:func:`iter_batch` streams per-input results for callers that aggregate as they go.
"""

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

__all__ = [
    "BatchResult",
    "ParseOptions",
    "UnitResult",
    "active_dask_client",
    "iter_batch",
    "merge_logs",
    "parse_unit",
    "run_batch",
]
