"""Merge per-record classification dicts into a vectorised event frame.

The bulk formats split headers, levels and timestamps with polars string ops, then run a Python
classifier only on the records a cheap vectorised trigger selects. This module folds the
classifier's sparse dicts back into frame columns so both halves stay simple.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import polars as pl

#: event columns a classifier may set (besides ``fields`` and ``time``)
CLASS_COLUMNS: Final = (
    "kind",
    "level",
    "source",
    "namespace",
    "pod",
    "pod_uid",
    "sandbox_id",
    "container_id",
    "network",
    "interface",
    "ips",
    "message",
    "error",
)


def fields_json(fields: Mapping[str, Any] | None) -> str:
    """The ``fields`` column value: sorted JSON, ``{}`` when empty."""
    if not fields:
        return "{}"
    return json.dumps(dict(fields), sort_keys=True, ensure_ascii=False, default=str)


def apply_found(
    df: pl.DataFrame,
    found: Sequence[Mapping[str, Any] | None],
    extra_fields: Sequence[Mapping[str, Any] | None] | None = None,
) -> pl.DataFrame:
    """Overlay classifier results (one dict or None per row) on ``df``; writes ``fields``.

    A key present in a row's dict replaces that row's column value; absent keys keep it.
    ``extra_fields`` are merged under the classifier's own ``fields``.
    """
    import polars as pl

    if not any(found) and not (extra_fields and any(extra_fields)):
        return df.with_columns(pl.lit("{}").alias("fields"))
    columns: dict[str, list[Any]] = {c: [None] * len(found) for c in CLASS_COLUMNS}
    touched: set[str] = set()
    fields_col: list[str] = []
    for i, row in enumerate(found):
        merged: dict[str, Any] = dict(extra_fields[i] or {}) if extra_fields else {}
        if row:
            for key, value in row.items():
                if key == "fields":
                    merged.update(value)
                elif value is not None:
                    columns[key][i] = value
                    touched.add(key)
        fields_col.append(fields_json(merged))
    updates: list[pl.Series | pl.Expr] = [pl.Series("fields", fields_col, dtype=pl.String)]
    for name in touched:
        new = pl.Series(f"__{name}", columns[name], dtype=pl.String)
        if name in df.columns:
            updates.append(pl.coalesce(pl.lit(new), pl.col(name)).alias(name))
        else:
            updates.append(pl.lit(new).alias(name))
    return df.with_columns(updates)
