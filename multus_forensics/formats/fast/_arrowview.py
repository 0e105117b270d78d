"""String columns from Arrow string views, handed to polars without pyarrow.

The fast paths build each string column as Arrow views (16 bytes per row) into buffers they
already hold: the file's bytes and the scanner's small buffer of new text. polars adopts such
an array through the Arrow PyCapsule interface (``__arrow_c_array__``) without copying it.
The compiled scanners export it themselves (``string_views`` in ``_scan_shared.h``), so a
parse never loads pyarrow, which costs tens of MiB of resident memory once used (its library
and memory pool) and a tenth of a second to import; without the compiled scanners the same
array is built with pyarrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


class _Exported:
    """The (schema, array) capsule pair of one array, in the shape polars imports."""

    __slots__ = ("_pair",)

    def __init__(self, pair: tuple[object, object]) -> None:
        self._pair = pair

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return self._pair


def _exporter() -> ModuleType | None:
    from multus_forensics._native import reason_off

    for name in ("_kscan", "_rscan"):
        if reason_off(name) is None:
            from multus_forensics._native import load

            return load(name)
    return None


def string_view_series(
    name: str, n: int, views: Any, valid: Any | None, data: Sequence[Any]
) -> pl.Series:
    """A string column of ``n`` rows: ``views`` (``n * 16`` bytes of Arrow views), ``valid``
    (an LSB-first bitmap, or None when no row is null) and the ``data`` buffers the views
    point into by index, all shared with the new column, not copied."""
    import polars as pl

    ext = _exporter()
    if ext is not None:
        return pl.Series(_Exported(ext.string_views(name, n, views, valid, list(data))))
    import pyarrow as pa

    buffers = [None if valid is None else pa.py_buffer(valid), pa.py_buffer(views)]
    buffers += [pa.py_buffer(d) for d in data]
    return pl.Series(name, pa.Array.from_buffers(pa.string_view(), n, buffers))
