"""Classifier results written into a scanner's Arrow string views before polars adopts them.

:func:`._assemble.apply_found` overlays results with one polars scatter per column, which
makes a new views array for the whole chunk each time; on the compiled path that memory
stays with the process (allocator holes) and adds up to a good part of the file's size. The
few classified rows are instead patched in the scanner's own (writable) views: new strings
go into one extra buffer, the rest of the chunk is untouched. Same values as ``apply_found``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from multus_forensics.formats._assemble import fields_json

if TYPE_CHECKING:
    import numpy as np


def patches(
    found: Mapping[int, Mapping[str, Any]], extra: Mapping[int, Mapping[str, Any]]
) -> dict[str, dict[int, str]]:
    """Column -> row -> new value, as :func:`._assemble.apply_found` would write them."""
    out: dict[str, dict[int, str]] = {"fields": {}}
    cache: dict[int, str] = {}  # rows sharing one result dict (equal input) share its JSON
    for i in sorted(set(found) | set(extra)):
        result = found.get(i, {})
        more = extra.get(i)
        if more:
            out["fields"][i] = fields_json({**more, **(result.get("fields") or {})})
        else:
            if (text := cache.get(id(result))) is None:
                text = cache[id(result)] = fields_json(result.get("fields"))
            out["fields"][i] = text
        for key, value in result.items():
            if key != "fields" and value is not None:
                out.setdefault(key, {})[i] = value
    return out


def write(
    views: np.ndarray,
    valid: np.ndarray | None,
    values: Mapping[int, str],
    buffer: bytearray,
    index: int,
) -> None:
    """Point ``views`` rows (``(m, 16)`` uint8) at ``values``, stored in ``buffer`` (Arrow
    buffer ``index``) unless 12 bytes or shorter (inline); mark them valid."""
    import numpy as np

    if not values:
        return
    # every row's 16-byte view built in one bytearray and stored with one fancy assignment
    # (a numpy assignment per row cost more than building the view)
    cells = bytearray()
    for value in values.values():
        data = value.encode("utf-8")
        n = len(data)
        cells += n.to_bytes(4, "little")
        if n <= 12:
            cells += data.ljust(12, b"\0")
        else:
            cells += data[:4] + index.to_bytes(4, "little") + len(buffer).to_bytes(4, "little")
            buffer += data
    rows = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
    views[rows] = np.frombuffer(bytes(cells), dtype=np.uint8).reshape(-1, 16)
    if valid is not None:
        np.bitwise_or.at(valid, rows >> 3, (1 << (rows & 7)).astype(np.uint8))
