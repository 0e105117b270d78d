"""A tiny test-only format, so ingestion tests do not depend on the formats other modules register.

Lines:
    ``TOY 03-11 13:02:05 message``            year-less stamp (year from ``ctx.year_anchor``)
    ``TOYFULL 2026-03-11T13:02:05Z message``  full timestamp (``year_source`` None)
    anything else non-blank                   an error issue (line in no event)

The ``toy_registry`` fixture registers it as the *only* format (``*.toy`` file glob) through a
module placed in ``sys.modules`` under ``multus_forensics.formats``, exactly how the registry
loads real formats.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest

from multus_forensics import registry
from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    fraction,
)
from multus_forensics.model import Event, ParseIssue, events_to_frame, excerpt
from multus_forensics.timeutil import years_for_months

MODULE = "multus_forensics.formats._toy_for_tests"


class ToyFormat(LogFormat):
    name = "toy"
    filename_globs = ("*.toy",)
    description = "test-only format"

    def sniff(self, head: Sequence[str]) -> float:
        return fraction(head, lambda line: line.startswith(("TOY ", "TOYFULL ")))

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        events: list[Event] = []
        issues: list[ParseIssue] = []
        blank = 0
        yearless: list[tuple[int, str, list[str]]] = []
        for number, line in enumerate(src.lines, 1):
            parts = line.split(" ", 3)
            if not line.strip():
                blank += 1
            elif parts[0] == "TOYFULL" and len(parts) >= 2:
                try:
                    time = datetime.fromisoformat(parts[1].replace("Z", "+00:00"))
                except ValueError:
                    issues.append(
                        ParseIssue(src.file, src.member, number, "bad time", excerpt(line))
                    )
                    continue
                events.append(self._event(src, number, line, time, None, " ".join(parts[2:])))
            elif parts[0] == "TOY" and len(parts) >= 3 and len(parts[1]) == 5:
                yearless.append((number, line, parts))
            else:
                issues.append(
                    ParseIssue(src.file, src.member, number, "not a toy line", excerpt(line))
                )
        months = [int(p[1][:2]) for _, _, p in yearless]
        anchor = ctx.year_anchor
        for (number, line, parts), year in zip(
            yearless, years_for_months(months, anchor), strict=True
        ):
            stamp = f"{year}-{parts[1]}T{parts[2]}+00:00"
            try:
                time = datetime.fromisoformat(stamp)
            except ValueError:
                issues.append(ParseIssue(src.file, src.member, number, "bad time", excerpt(line)))
                continue
            source = "argument" if anchor.year is not None else anchor.source
            events.append(self._event(src, number, line, time, source, " ".join(parts[3:])))
        events.sort(key=lambda e: e.line)
        return ParseOutput(events_to_frame(events), issues, blank)

    def _event(
        self,
        src: TextSource,
        number: int,
        line: str,
        time: datetime,
        year_source: str | None,
        message: str,
    ) -> Event:
        return Event(
            time=time.astimezone(UTC),
            year_source=year_source,
            node=src.node_hint,
            format=self.name,
            message=message,
            file=src.file,
            member=src.member,
            line=number,
            raw=line,
        )


@pytest.fixture
def toy_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the toy format the only registered format for the duration of a test."""
    module = types.ModuleType(MODULE)
    module.ToyFormat = ToyFormat  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    monkeypatch.setattr(registry, "FORMATS", {"toy": "_toy_for_tests:ToyFormat"})
    registry.get_format.cache_clear()
    registry._aliases.cache_clear()
    yield
    registry.get_format.cache_clear()
    registry._aliases.cache_clear()


def test_toy_format_accounts_for_every_line(toy_registry: None) -> None:
    src = TextSource("x.toy", "TOY 03-11 13:02:05 a\n\nTOYFULL 2026-03-11T13:02:06Z b\njunk\n")
    out = registry.get_format("toy").parse(src, ParseContext())
    assert out.events["line"].to_list() == [1, 3]
    assert [i.line for i in out.issues] == [4]
    assert out.blank_lines == 1


def test_toy_format_takes_the_year_from_the_anchor(toy_registry: None) -> None:
    from multus_forensics.timeutil import YearAnchor

    src = TextSource("x.toy", "TOY 12-31 23:59:00 a\nTOY 01-01 00:01:00 b\n")
    anchor = YearAnchor(reference=datetime(2027, 1, 5, tzinfo=UTC), source="file-mtime")
    out = registry.get_format("toy").parse(src, ParseContext(anchor))
    assert [t.year for t in out.events["time"]] == [2026, 2027]
    assert set(out.events["year_source"]) == {"file-mtime"}
