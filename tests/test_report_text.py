"""The report's text writers give the very text of the general ones they replace: the JSON
writer that of ``json.dumps(..., indent=2, ensure_ascii=False)`` (after ``_jsonable`` when
asked to convert), the table cells those of ``tag``."""

from __future__ import annotations

import html
import json
import os
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

import pytest

from multus_forensics.report.data import PodSection, _jsonable
from multus_forensics.report.html import _event_rows
from multus_forensics.report.jsontext import dumps_indented
from multus_forensics.report.markup import Markup, h, table, tag

SCALARS: list[Any] = [
    None, True, False, 0, -7, 2**70, 1.5, -0.0, 1e-7, 1e22, float("nan"), float("inf"),
    -float("inf"), "", 'quote " backslash \\ newline \n é \u202e \x00', Markup("<b>x</b>"),
]  # fmt: skip
KEYS: list[Any] = ["k", "é", 'x"', 1, "1", 2.5, True, "True", False, None]
DATES: list[Any] = [datetime(2026, 3, 11, 13, 2, 5, 102930, tzinfo=UTC), date(2026, 1, 1)]


def _value(rng: random.Random, scalars: list[Any], depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(scalars)
    if roll < 0.7:
        return [_value(rng, scalars, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.8:
        return tuple(_value(rng, scalars, depth + 1) for _ in range(rng.randint(0, 3)))
    return {rng.choice(KEYS): _value(rng, scalars, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("indent", [2, 0, 4])
def test_indented_json_is_the_standard_librarys_text(indent: int) -> None:
    rng = random.Random(indent)
    for _ in range(3000):
        value = _value(rng, SCALARS)
        assert dumps_indented(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False)


def test_jsonable_writing_is_the_text_of_the_converted_copy() -> None:
    """Mappings of any kind, tuples and dates converted as ``_jsonable`` converts them, keys by
    ``str()`` (two keys spelled alike: the later value, as the converted dict holds it)."""
    rng = random.Random(7)

    def wrap(value: Any) -> Any:  # some mappings that are not dicts
        if isinstance(value, dict):
            inner = {k: wrap(v) for k, v in value.items()}
            return MappingProxyType(inner) if rng.random() < 0.3 else inner
        if isinstance(value, list | tuple):
            return type(value)(wrap(v) for v in value)
        return value

    for _ in range(3000):
        value = wrap(_value(rng, SCALARS + DATES))
        expected = json.dumps(_jsonable(value), indent=2, ensure_ascii=False)
        assert dumps_indented(value, jsonable=True) == expected


@pytest.mark.parametrize(
    "bad", [{1j: 1}, [object()], {"a": {(1, 2): 3}}, {"when": datetime(2026, 1, 1)}]
)
def test_unserialisable_values_fail_as_the_standard_library_fails(bad: Any) -> None:
    def error(dump: Callable[[], str]) -> tuple[type[BaseException], str]:
        with pytest.raises((TypeError, ValueError)) as caught:
            dump()
        return caught.type, str(caught.value)

    expected = error(lambda: json.dumps(bad, indent=2, ensure_ascii=False))
    assert error(lambda: dumps_indented(bad)) == expected


def _tag_table(headers: list[str], rows: list[list[Any]], class_: Any, numeric: Any) -> str:
    """The table as ``tag`` alone writes it: the reference for :func:`table`."""
    head = tag("thead", tag("tr", *(tag("th", c) for c in headers)))
    body = tag(
        "tbody",
        *(
            tag("tr", *(tag("td", c, class_="num" if i in numeric else None) for i, c in enumerate(r)))
            for r in rows
        ),
    )  # fmt: skip
    return tag("table", head, body, class_=class_)


def test_table_cells_are_the_markup_tag_writes() -> None:
    rng = random.Random(3)
    cells: list[Any] = [None, 0, 1.5, "", "a<b>&\"'", Markup("<i>x</i>"), True, False, "plain"]
    for _ in range(2000):
        width = rng.randint(0, 4)
        rows = [[rng.choice(cells) for _ in range(width)] for _ in range(rng.randint(0, 4))]
        headers = [rng.choice(["h", "<h>"]) for _ in range(width)]
        numeric = set(rng.sample(range(5), rng.randint(0, 3)))
        class_ = rng.choice([None, "events", 'a"b'])
        got = table(headers, rows, class_=class_, numeric=numeric)
        assert isinstance(got, Markup)
        assert got == _tag_table(headers, rows, class_, numeric)


TEXTS: list[Any] = [
    None, "", "plain", "a<b>&\"'", "&amp;", "<<>>", "é \u202e \x00", 0, 1.5, True,
    Markup("<i>x</i>"), "'quoted'", 'x="1"',
]  # fmt: skip


@pytest.mark.parametrize("value", TEXTS)
def test_escaping_is_html_escape_with_quotes(value: Any) -> None:
    if isinstance(value, Markup):
        expected = value
    else:
        expected = "" if value is None else html.escape(str(value), quote=True)
    assert h(value) == expected
    assert isinstance(h(value), Markup)


@pytest.mark.parametrize("level", ["error", "info", None, 'a"<b'])
@pytest.mark.parametrize("member", [None, "", "pods/x.log"])
def test_event_cells_are_the_markup_tag_writes(level: str | None, member: str | None) -> None:
    event = {
        "time": datetime(2026, 3, 11, 13, 2, 5, tzinfo=UTC), "node": "n<1>", "source": "kubelet",
        "kind": "log", "level": level, "message": "a & b", "error": None,
        "file": "/logs/x'y.log", "member": member, "line": 7,
    }  # fmt: skip
    section = PodSection(pod="ns/p", nodes=[], events=[event], total_events=1, errors=0)
    full = "/logs/x'y.log" + (f"!{member}" if member else "")
    name = os.path.basename(member or "/logs/x'y.log")
    cells = [
        "2026-03-11T13:02:05Z", "n<1>", "kubelet", "log",
        tag("span", level, class_=f"lvl-{level}"), tag("div", "a & b", class_="log"),
        tag("span", f"{name}:7", title=full),
    ]  # fmt: skip
    headers = ["time (UTC)", "node", "source", "kind", "level", "message / error", "where"]
    assert _event_rows(section) == table(headers, [cells], class_="events")
