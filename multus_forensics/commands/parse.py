"""``multus-forensics parse PATH... -o events.parquet|.csv|.jsonl``."""

from __future__ import annotations

import argparse
import sys

from multus_forensics.commands._common import add_input_arguments, parse_inputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("-o", "--output", help="write events to .parquet, .csv or .jsonl")
    parser.add_argument("--issues", action="store_true", help="print every parse issue")


def run(args: argparse.Namespace) -> int:
    log = parse_inputs(args)
    if args.output:
        log.write(args.output)
    if args.issues:
        for issue in log.issues:
            print(issue, file=sys.stderr)
    s = log.stats
    print(
        f"{len(s.files)} files, {s.lines} lines, {s.events} events, "
        f"{s.unparsed_lines} unparsed lines, {len(s.skipped)} skipped files"
        + (f" -> {args.output}" if args.output else "")
    )
    if not args.output:
        print(log.stats.to_polars())
    return 0
