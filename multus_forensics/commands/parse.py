"""``multus-forensics parse PATH... [-o events.parquet|.csv|.jsonl] [--json]``.

Exit 0 when at least one input yielded events (even with unparsed lines: they are reported), 1
when nothing could be read, no input yielded any event, or an input or member was lost or cut (a
missing file, a truncated archive, a damaged stream, a limit): the events that were read are still
written.
"""

from __future__ import annotations

import argparse
import json
import sys

from multus_forensics.commands._common import (
    add_input_arguments,
    lost_input,
    no_events,
    parse_inputs,
)
from multus_forensics.commands._conventions import output_file, stages
from multus_forensics.visible import visible


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument(
        "-o", "--output", help="write events to .parquet, .csv or .jsonl (parent dir created)"
    )
    parser.add_argument(
        "--issues", action="store_true", help="print every parse issue, warnings included"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the coverage per file as one JSON object"
    )


def run(args: argparse.Namespace) -> int:
    if args.output:
        output_file(args.output, "events.parquet")
    with stages(args, "parsing"):
        log = parse_inputs(args, show_errors=not args.issues)
    if args.issues:
        for issue in log.issues:
            print(f"multus-forensics: {visible(str(issue), layout=False)}", file=sys.stderr)
    s = log.stats
    if s.nothing_read:
        print("multus-forensics: error: nothing could be read", file=sys.stderr)
        return 1
    if args.output:
        log.write(args.output)
    if args.json:
        doc = {
            "files": len(s.files),
            "lines": s.lines,
            "events": s.events,
            "unparsed_lines": s.unparsed_lines,
            "header_lines": s.header_lines,
            "skipped_files": len(s.skipped),
            "output": args.output,
            "coverage": json.loads(s.to_polars().write_json()),
        }
        print(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        print(
            f"{len(s.files)} files, {s.lines} lines, {s.events} events, "
            f"{s.unparsed_lines} unparsed lines, {s.header_lines} header lines, "
            f"{len(s.skipped)} skipped files"
            + (f" -> {visible(args.output, layout=False)}" if args.output else "")
        )
        if not args.output:
            print(visible(str(log.stats.to_polars())))  # member names come from the archive
    if lost_input(log.issues):  # its stderr line already says why there may be no events
        return 1
    return no_events(s.as_dict())
