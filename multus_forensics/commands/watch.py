"""``multus-forensics watch PATH... | - [--json] [--exit-on SEVERITY] [--since end|beginning]``.

Follows growing files (``tail -F``: rotation by rename or copytruncate, re-created files) and
pipes (``journalctl -fu kubelet -o short-precise | multus-forensics watch -``), and prints a
finding block, as ``diagnose`` does, when a cause first reaches ``--min-confidence`` or affects a
new pod; repeats only update counts, shown in a summary line every ``--summary-every`` seconds.
``--json`` prints one JSON object per line: a finding in ``diagnose``'s shape plus a ``watch``
key, or ``{"watch": {"type": "summary", ...}}``. Runs until the pipes end or Ctrl-C (exit 0);
exit 3 at the first finding at or above ``--exit-on``; 1 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from multus_forensics.commands._common import (
    MAX_ERROR_LINES,
    add_rules_argument,
    add_year_argument,
)
from multus_forensics.commands._conventions import add_log_format_argument

if TYPE_CHECKING:
    from multus_forensics.watch import Change, Summary, Watcher

SEVERITY_ORDER = ("info", "warning", "error", "critical")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="files to follow, FIFOs, or - for stdin"
    )
    add_log_format_argument(parser)  # --log-format, and --format as its deprecated alias
    add_year_argument(parser)
    parser.add_argument("--tz", help="IANA zone of zone-less timestamps (default UTC)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_rules_argument(parser)
    parser.add_argument(
        "--exit-on",
        choices=SEVERITY_ORDER,
        metavar="SEVERITY",
        help=f"exit 3 at the first finding this severe or worse ({', '.join(SEVERITY_ORDER)})",
    )
    parser.add_argument(
        "--since",
        choices=("end", "beginning"),
        default="end",
        help="start at the end of what files hold (default) or at their beginning",
    )
    parser.add_argument(
        "--summary-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="print updated counts at most this often, when they changed (default 30)",
    )
    parser.add_argument(
        "--horizon",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="event time kept as context behind the newest event (default 600)",
    )
    parser.add_argument(
        "--max-events",
        type=int,
        default=10_000,
        metavar="N",
        help="events kept in memory at most (default 10000)",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=0.5,
        metavar="X",
        help="report a finding once its confidence reaches X (default 0.5)",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=0.1,
        metavar="SECONDS",
        help="how often followed files are looked at (default 0.1)",
    )


def render_change(change: Change) -> str:
    """The finding's block exactly as ``diagnose`` prints it, labelled with what changed."""
    from multus_forensics.classify import Diagnosis
    from multus_forensics.commands.diagnose import render_text

    lines = render_text(Diagnosis([change.finding], [], change.stats)).split("\n")
    block = lines[2:]  # the input statistics line and a blank line come first
    block[0] = block[0].replace("(best hypothesis)", f"({change.reason})")
    stamp = change.at.strftime("%H:%M:%S")
    return "\n".join([f"[{stamp}] {change.reason}: {change.finding.root_cause}", *block, ""])


def render_summary(summary: Summary) -> str:
    s = summary.stats
    head = (
        f"[{summary.at.strftime('%H:%M:%S')}] {s['files']} inputs, {s['lines']:,} lines, "
        f"{s['events']:,} events, {s['unparsed_lines']:,} unparsed"
    )
    causes = "; ".join(
        f"{c.root_cause} {c.count:,}x on {c.pods} pod{'s' if c.pods != 1 else ''} "
        f"({c.confidence:.2f})"
        for c in summary.causes
        if c.reported
    )
    tail = f"; {summary.unexplained_templates} error templates no rule explains" * bool(
        summary.unexplained_templates
    )
    return f"{head}; {causes or 'no finding yet'}{tail}"


def _change_json(change: Change) -> str:
    return json.dumps(
        {
            "findings": [change.finding.to_dict()],
            "unclassified": [],
            "stats": change.stats,
            "watch": {"type": "finding", "reason": change.reason, "at": change.at.isoformat()},
        },
        ensure_ascii=False,
    )


def _summary_json(summary: Summary) -> str:
    return json.dumps({"watch": {"type": "summary", **summary.to_dict()}}, ensure_ascii=False)


class _Printer:
    """Findings on stdout; notices and unparsed lines on stderr (the first ones in full)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.errors_shown = 0
        self.last_summary: tuple[object, ...] | None = None

    def change(self, change: Change) -> None:
        print(_change_json(change) if self.as_json else render_change(change), flush=True)

    def summary(self, summary: Summary, *, force: bool = False) -> None:
        key = (tuple(summary.stats.items()), summary.causes)
        if key == self.last_summary and not force:
            return
        self.last_summary = key
        print(_summary_json(summary) if self.as_json else render_summary(summary), flush=True)

    def notes(self, watcher: Watcher) -> None:
        for notice in watcher.take_notices():
            print(f"multus-forensics: {notice}", file=sys.stderr, flush=True)
        for issue in watcher.take_issues():
            if issue.severity != "error":
                continue
            self.errors_shown += 1
            if self.errors_shown <= MAX_ERROR_LINES:
                print(f"multus-forensics: {issue}", file=sys.stderr, flush=True)
            elif self.errors_shown == MAX_ERROR_LINES + 1:
                print(
                    "multus-forensics: more unparsed lines are only counted (summary lines)",
                    file=sys.stderr,
                    flush=True,
                )


def run(args: argparse.Namespace) -> int:
    from multus_forensics.classify import load_catalog
    from multus_forensics.errors import InputError
    from multus_forensics.watch import Watcher, WatchOptions

    try:
        options = WatchOptions(
            since=args.since,
            format=args.log_format,
            year=args.year,
            tz=args.tz,
            horizon=args.horizon,
            max_events=args.max_events,
            min_confidence=args.min_confidence,
            poll=args.poll,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if args.summary_every <= 0:
        raise InputError("--summary-every must be positive")
    floor = SEVERITY_ORDER.index(args.exit_on) if args.exit_on else None
    printer = _Printer(args.json)
    watcher = Watcher(args.paths, options, load_catalog(args.rules))
    where = "the end" if args.since == "end" else "the beginning"
    print(
        f"multus-forensics: watching {', '.join(s.label for s in watcher.streams)} "
        f"from {where} of what they hold; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    with watcher:
        code = _loop(watcher, printer, floor, args.summary_every)
        printer.notes(watcher)
        printer.summary(watcher.summary(), force=True)
    return code


def _loop(watcher: Watcher, printer: _Printer, floor: int | None, every: float) -> int:
    """Poll until the pipes end (0), a finding reaches ``floor`` (3) or Ctrl-C (0)."""
    next_summary = time.monotonic() + every
    try:
        while not watcher.done:
            changes = watcher.poll()
            printer.notes(watcher)
            for change in changes:
                printer.change(change)
                if floor is not None and SEVERITY_ORDER.index(change.finding.severity) >= floor:
                    return 3
            if time.monotonic() >= next_summary:
                printer.summary(watcher.summary())
                next_summary = time.monotonic() + every
            watcher.wait()
    except KeyboardInterrupt:
        # Ctrl-C is how a watch on files ends: what was written until then is the result
        for change in watcher.drain():
            printer.change(change)
    return 0
