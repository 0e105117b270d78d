"""``multus-forensics parse PATH... -o events.parquet|.csv|.jsonl``.

Exit 0 when at least one input yielded events (even with unparsed lines: they are reported), 1
when nothing could be read or no input yielded any event.
"""

from __future__ import annotations

import argparse
import sys

from multus_forensics.commands._common import add_input_arguments, no_events, parse_inputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument(
        "-o", "--output", help="write events to .parquet, .csv or .jsonl (parent dir created)"
    )
    parser.add_argument(
        "--issues", action="store_true", help="print every parse issue, warnings included"
    )


def run(args: argparse.Namespace) -> int:
    log = parse_inputs(args, show_errors=not args.issues)
    if args.issues:
        for issue in log.issues:
            print(f"multus-forensics: {issue}", file=sys.stderr)
    s = log.stats
    if s.nothing_read:
        print("multus-forensics: error: nothing could be read", file=sys.stderr)
        return 1
    if args.output:
        log.write(args.output)
    print(
        f"{len(s.files)} files, {s.lines} lines, {s.events} events, "
        f"{s.unparsed_lines} unparsed lines, {s.header_lines} header lines, "
        f"{len(s.skipped)} skipped files" + (f" -> {args.output}" if args.output else "")
    )
    if not args.output:
        print(log.stats.to_polars())
    return no_events(s.as_dict())
