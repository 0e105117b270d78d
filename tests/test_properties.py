"""Property tests over every registered format: any input parses without raising, nothing is lost.

The formats are read from ``registry.FORMATS`` when the tests are collected, so formats added
later are covered without touching this file. Each one gets arbitrary text and bytes, and
mutations of its own sample lines (the sample files under ``sample_logs/`` that detection assigns
to it): truncation, inserted junk, swapped/deleted/duplicated lines, unicode, very long lines.

Input goes through the same steps as in :func:`multus_forensics.parse` (decode, paste-decoration
stripping, :func:`~multus_forensics.pipeline.parse_source`), with ``on_error="collect"``
semantics: issues are returned, never raised. Checked for every example:

* the accounting invariant (``parse_source`` asserts it; ``FileStats.balanced`` again here);
* events and error issues name lines inside the input, and no line is both in an event and
  reported as lost. An event covers ``line .. line + nlines - 1``, or the lines it lists in
  ``fields["lines"]`` when they are not one run (a klog ``err=<`` block stitched across other
  writers' journal records, a duplicate journal record absorbed);
* the event frame has exactly the model schema;
* one example takes less than :data:`DEADLINE` (catches super-linear regexes on long lines).
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from multus_forensics import registry
from multus_forensics.formats._rows import physical_lines
from multus_forensics.formats.base import TextSource
from multus_forensics.ingest import RawStream, decode
from multus_forensics.ingest.paste import strip_paste_decoration
from multus_forensics.model import schema
from multus_forensics.pipeline import parse_source

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
FORMAT_NAMES = sorted(registry.FORMATS)
EXAMPLES = 50
#: generous per-example budget: a 60k-character line must not take seconds (regex backtracking)
DEADLINE = timedelta(seconds=5)
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    # no shrinking: shrinking a slow (super-linear) example re-runs it for minutes
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)


@cache
def sample_lines() -> dict[str, tuple[str, ...]]:
    """format name -> non-blank lines of the sample files detection assigns to it."""
    out: dict[str, list[str]] = {}
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or "bundles" in path.parts or path.suffix in (".md", ".py"):
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        src = TextSource(str(path), text)
        try:
            fmt, _ = registry.detect(str(path), src.head())
        except Exception:  # an ambiguous sample is just not used as a seed
            continue
        if fmt is not None:
            out.setdefault(fmt.name, []).extend(line for line in src.lines if line.strip())
    return {name: tuple(lines[:400]) for name, lines in out.items()}


def check(data: bytes, format_name: str | None) -> None:
    """Run one input through the pipeline steps and check every invariant."""
    src, _ = decode(RawStream("prop.log", data, name="prop.log"))
    src, _ = strip_paste_decoration(src)
    fs, frame, issues = parse_source(src, format=format_name, name="prop.log")
    assert fs.balanced
    n = len(src.lines)
    covered: set[int] = set()
    if frame is not None:
        assert frame.schema == schema()
        for line, nlines, fields in frame.select("line", "nlines", "fields").iter_rows():
            assert line >= 1
            assert nlines >= 1
            lines = physical_lines(line, nlines, json.loads(fields))
            assert len(lines) == nlines, "fields.lines disagrees with nlines"
            assert lines[0] == line, "an event's line is not its first physical line"
            assert lines == sorted(set(lines)), "fields.lines not strictly increasing"
            assert lines[-1] <= n
            span = set(lines)
            assert not covered & span, f"line(s) {sorted(covered & span)} in two events"
            covered |= span
    lost = [i.line for i in issues if i.severity == "error" and i.line is not None]
    assert all(1 <= line <= n for line in lost)
    assert not covered & set(lost), "a line is both in an event and reported as lost"
    for issue in issues:
        assert len(issue.excerpt) <= 400


LINE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=120,
)
ANY_INPUT = st.one_of(
    st.lists(LINE_TEXT, max_size=30).map(lambda ls: "\n".join(ls).encode()),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=2000),
)
MUTATIONS = ("truncate", "junk", "swap", "unicode", "long", "delete", "duplicate", "blank", "crlf")


@st.composite
def mutated(draw: st.DrawFn, base: tuple[str, ...]) -> bytes:
    """A few of the format's own lines with damage applied in a drawn order."""
    if base:
        start = draw(st.integers(0, len(base) - 1))
        lines = list(base[start : start + draw(st.integers(1, 12))])
    else:
        lines = [draw(LINE_TEXT)]
    for op in draw(st.lists(st.sampled_from(MUTATIONS), max_size=6)):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            lines.append(draw(LINE_TEXT))
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif op == "junk":
            lines.insert(i, draw(LINE_TEXT))
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "unicode":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = (
                lines[i][:at]
                + draw(st.sampled_from(["é", "\u200b", "🙂", "Ω", "\ufeff", "\x00", "\t"]))
                + lines[i][at:]
            )
        elif op == "long":
            lines[i] = lines[i] + "x" * draw(st.integers(1000, 60000))
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "blank":
            lines.insert(i, draw(st.sampled_from(["", " ", "\t"])))
        elif op == "crlf":
            lines[i] += "\r"
    ending = draw(st.sampled_from(["\n", "", "\r\n"]))
    return ("\n".join(lines) + (ending if lines else "")).encode("utf-8", "surrogatepass")


def test_every_format_is_covered() -> None:
    assert FORMAT_NAMES, "no format registered: the property tests below would check nothing"
    assert sorted(registry.FORMATS) == FORMAT_NAMES


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_arbitrary_input_never_raises_and_balances(name: str) -> None:
    @PROPERTY_SETTINGS
    @given(data=ANY_INPUT)
    def run(data: bytes) -> None:
        check(data, name)

    run()


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_mutated_own_samples_never_raise_and_balance(name: str) -> None:
    base = sample_lines().get(name, ())

    @PROPERTY_SETTINGS
    @given(data=mutated(base))
    def run(data: bytes) -> None:
        check(data, name)

    run()


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_mutated_samples_through_detection_never_raise(name: str) -> None:
    base = sample_lines().get(name, ())

    @settings(PROPERTY_SETTINGS, max_examples=EXAMPLES // 5)
    @given(data=mutated(base))
    def run(data: bytes) -> None:
        check(data, None)

    run()
