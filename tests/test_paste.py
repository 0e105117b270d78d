"""Paste decoration is stripped only when consistent, per line, with one warning."""

from __future__ import annotations

from pathlib import Path

import pytest

import multus_forensics as mf
from multus_forensics.formats.base import TextSource
from multus_forensics.ingest.paste import strip_paste_decoration

KLOG = 'E0311 13:02:07.418552    2671 pod_workers.go:1301] "Error syncing pod, skipping"'


def _strip(text: str) -> tuple[str, list[str]]:
    src, issues = strip_paste_decoration(TextSource("paste.txt", text))
    return src.text, [i.reason for i in issues]


@pytest.mark.parametrize(
    ("text", "expected", "what"),
    [
        (f"> {KLOG}\n> {KLOG}\n>\n> {KLOG}\n", f"{KLOG}\n{KLOG}\n\n{KLOG}\n", "quote prefix '> '"),
        (f"> > {KLOG}\n> > {KLOG}\n> >\n", f"{KLOG}\n{KLOG}\n\n", "quote prefix '> > '"),
        (f"  12 | {KLOG}\n  13 |\n  14 | {KLOG}\n", f"{KLOG}\n\n{KLOG}\n", "line numbers"),
        (f"7:{KLOG}\n8:{KLOG}\n9:{KLOG}\n", f"{KLOG}\n{KLOG}\n{KLOG}\n", "line numbers"),
        (f"    41\t{KLOG}\n    42\t{KLOG}\n", f"{KLOG}\n{KLOG}\n", "line numbers"),
        (f"┌────┐\n│ {KLOG} │\n│ {KLOG} │\n└────┘\n", f"\n{KLOG}\n{KLOG}\n\n", "box frame"),
    ],
)
def test_consistent_decoration_is_stripped_with_one_warning(
    text: str, expected: str, what: str
) -> None:
    stripped, reasons = _strip(text)
    assert stripped == expected
    assert len(reasons) == 1
    assert what in reasons[0]


def test_box_frame_cut_at_both_ends_of_the_selection_is_still_stripped() -> None:
    text = f"{KLOG} 0a1b │\n│ 2c3d {KLOG} │\n│ {KLOG}\n"
    stripped, reasons = _strip(text)
    assert stripped == f"{KLOG} 0a1b\n2c3d {KLOG}\n{KLOG}\n"
    assert len(reasons) == 1


@pytest.mark.parametrize(
    "text",
    [
        # klog err=< blocks close with " >": content, not a quote
        f"{KLOG} err=<\n\tfailed to setup network\n >\n{KLOG}\n",
        # a time at the start of each line is not a line number
        "13:02:05 kubelet started\n13:02:06 kubelet ready\n13:02:09 sandbox created\n",
        # numbers that do not count up line by line
        "7: alpha\n7: beta\n3: gamma\n",
        # a single quoted line among plain ones
        f"{KLOG}\n> quoted remark\n{KLOG}\n{KLOG}\n",
        "",
    ],
)
def test_inconsistent_or_absent_decoration_is_left_alone(text: str) -> None:
    assert _strip(text) == (text, [])


def test_line_count_and_accounting_hold_through_stripping(tmp_path: Path) -> None:
    body = (
        "Events:\n  Type     Reason          Age  From    Message\n"
        "  ----     ------          ---  ----    -------\n"
        "  Normal   AddedInterface  5s   multus  Add eth0 [10.244.3.41/24] from cbr0\n"
    )
    quoted = "".join(f"> {line}\n" for line in body.splitlines())
    path = tmp_path / "issue.txt"
    path.write_text(quoted + ">\n")
    log = mf.parse(str(path))
    stats = log.stats.files[0]
    assert (stats.lines, stats.format, stats.balanced) == (5, "kubectl-describe", True)
    assert stats.blank_lines == 1
    assert [i.severity for i in log.issues] == ["warning"]
    event = log.to_polars().row(0, named=True)
    assert event["interface"] == "eth0"
    assert event["nlines"] == 4
