"""Line-accounting property shared by the runtime / Multus format tests.

Every physical line must be in an event, in an error issue carrying its line, or counted blank
(the invariant ``pipeline.parse`` asserts), and an event is a run of contiguous lines that no
other event or lost line shares. The property is checked on shuffled mixes of a format's own
sample lines, foreign lines, blank and whitespace-only lines.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.registry import get_format
from multus_forensics.timeutil import YearAnchor

FOREIGN = [
    "",
    "   ",
    "\t",
    "random words from a ticket",
    "{ not json",
    'E0311 13:02:07.418552    1902 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed"',
    'time="2026-03-11T13:00:00Z" level=info msg=x',
    "2026-03-11T13:00:00Z [verbose] Add: a:b:c:d(e):eth0 {}",
    "2026-03-11T13:00:00.1Z stdout P part",
]


def check_accounting(format_name: str, sample: Path) -> None:
    """Run the property for ``format_name`` over lines of ``sample`` mixed with :data:`FOREIGN`."""
    pool = sample.read_text(encoding="utf-8").splitlines() + FOREIGN
    fmt = get_format(format_name)
    ctx = ParseContext(YearAnchor(year=2026, source="argument"))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(pool), max_size=25))
    def prop(lines: list[str]) -> None:
        text = "".join(line + "\n" for line in lines)
        src = TextSource("mixed.log", text)
        out = fmt.parse(src, ctx)
        in_events = int(out.events["nlines"].sum()) if out.events.height else 0
        reported = sum(1 for i in out.issues if i.severity == "error" and i.line is not None)
        assert len(src.lines) == in_events + reported + out.blank_lines
        covered: set[int] = set()
        for line, nlines in out.events.select("line", "nlines").iter_rows():
            span = set(range(line, line + nlines))
            assert not covered & span, "an event's lines overlap another event's"
            covered |= span
        lost = {i.line for i in out.issues if i.severity == "error" and i.line is not None}
        assert not covered & lost

    prop()
