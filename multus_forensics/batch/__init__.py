"""Batch execution: many inputs parsed in parallel, merged in input order.

:func:`run_batch` is the entry point (local processes by default, a Dask cluster when given);
:func:`iter_batch` streams per-input results for callers that aggregate as they go;
:func:`parse_streams` spreads the streams of one input (a bundle's members) over the workers,
cut to the rows an analysis reads (:func:`keep_spec`).

Names load on first use: ``batch.progress`` (the stage bar every command shows on a terminal)
must not pull in the process pool machinery for a command that parses one small file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multus_forensics._lazy import lazy_exports

#: public name -> module that defines it (imported on first attribute access)
_EXPORTS: dict[str, str] = {
    "BatchResult": "multus_forensics.batch.runner",
    "ParseOptions": "multus_forensics.batch.runner",
    "UnitResult": "multus_forensics.batch.runner",
    "active_dask_client": "multus_forensics.batch.runner",
    "iter_batch": "multus_forensics.batch.runner",
    "merge_logs": "multus_forensics.batch.runner",
    "parse_unit": "multus_forensics.batch.runner",
    "run_batch": "multus_forensics.batch.runner",
    "KeepSpec": "multus_forensics.batch.compact",
    "keep_spec": "multus_forensics.batch.compact",
    "StreamedLog": "multus_forensics.batch.streams",
    "parse_streams": "multus_forensics.batch.streams",
    "Unit": "multus_forensics.batch.units",
    "group_units": "multus_forensics.batch.units",
}

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

if TYPE_CHECKING:
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
