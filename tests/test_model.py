from datetime import UTC, datetime

import polars as pl
import pytest

from multus_forensics.model import COLUMNS, Event, conform, events_to_frame, frame_to_events, schema


def test_schema_is_derived_from_event_fields_in_order() -> None:
    assert tuple(schema().names()) == COLUMNS
    assert schema()["time"] == pl.Datetime("us", "UTC")


def test_events_round_trip_through_a_frame() -> None:
    ev = Event(
        time=datetime(2026, 3, 11, 13, 2, 7, tzinfo=UTC),
        source="kubelet",
        format="klog",
        pod="p",
        fields={"a": 1},
        file="f",
        line=3,
        raw="x",
    )
    df = events_to_frame([ev])
    assert df.schema == schema()
    assert frame_to_events(df) == [ev]


def test_conform_fills_defaults_and_rejects_unknown_columns() -> None:
    df = conform(pl.DataFrame({"message": ["m"], "line": [1]}))
    assert df.schema == schema()
    assert df["nlines"].to_list() == [1]
    assert df["fields"].to_list() == ["{}"]
    with pytest.raises(ValueError, match="outside the schema"):
        conform(pl.DataFrame({"bogus": [1]}))


def test_public_names_are_exported_and_resolve() -> None:
    import multus_forensics

    for name in multus_forensics.__all__:
        assert getattr(multus_forensics, name) is not None
