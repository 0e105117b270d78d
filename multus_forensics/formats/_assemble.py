"""Merge per-record classification dicts into a vectorised event frame.

The bulk formats split headers, levels and timestamps with polars string ops, then run a Python
classifier only on the records a cheap vectorised trigger selects. This module folds the
classifier's sparse dicts back into frame columns so both halves stay simple.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


def fields_json(fields: Mapping[str, Any] | None) -> str:
    """The ``fields`` column value: sorted JSON, ``{}`` when empty."""
    if not fields:
        return "{}"
    return json.dumps(dict(fields), sort_keys=True, ensure_ascii=False, default=str)


def json_str(expr: pl.Expr) -> pl.Expr:
    """Vectorised JSON string literal of a text column.

    Quotes, backslashes, newlines, tabs and carriage returns are escaped; any other control
    character becomes U+FFFD (still valid JSON, one regex pass instead of one per character).
    """
    escaped = (
        expr.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
        .str.replace_all(r"[\x00-\x1f\x7f]", "\ufffd")
    )
    return '"' + escaped + '"'


def apply_found(
    df: pl.DataFrame,
    found: Mapping[int, Mapping[str, Any]],
    extra_fields: Mapping[int, Mapping[str, Any]] | None = None,
) -> pl.DataFrame:
    """Overlay sparse classifier results (row index -> dict) on ``df``; writes ``fields``.

    A key present in a row's dict replaces that row's column value; absent keys keep it.
    ``extra_fields`` are merged under the classifier's own ``fields``. Rows in neither keep
    their ``fields`` value (``{}`` when ``df`` has no such column yet).
    """
    import polars as pl

    if "fields" not in df.columns:
        df = df.with_columns(pl.lit("{}").alias("fields"))
    rows = sorted(set(found) | set(extra_fields or {}))
    if not rows:
        return df
    columns: dict[str, list[Any]] = {}
    fields_col: list[str] = []
    for n, i in enumerate(rows):
        merged: dict[str, Any] = dict(extra_fields.get(i) or {}) if extra_fields else {}
        for key, value in (found.get(i) or {}).items():
            if key == "fields":
                merged.update(value)
            elif value is not None:
                if key not in columns:
                    columns[key] = [None] * len(rows)
                columns[key][n] = value
        fields_col.append(fields_json(merged))
    index = pl.Series("index", rows, dtype=pl.UInt32)
    updates = [df["fields"].scatter(index, pl.Series(fields_col, dtype=pl.String))]
    for name, values in columns.items():
        base = df[name] if name in df.columns else pl.Series(name, [None] * df.height, pl.String)
        new = pl.Series(name, values, dtype=pl.String)
        present = new.is_not_null()
        merged_values = new if present.all() else new.zip_with(present, base.gather(index))
        updates.append(base.cast(pl.String).scatter(index, merged_values))
    return df.with_columns(updates)
