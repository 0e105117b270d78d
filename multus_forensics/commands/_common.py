"""Arguments shared by the subcommands that read logs."""

from __future__ import annotations

import argparse
from typing import Any


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH..., --format, --year, --tz: the options of every log-reading subcommand."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, directories, globs, archives, or - for stdin",
    )
    parser.add_argument("--format", help="force a format (see: multus-forensics formats)")
    parser.add_argument("--year", type=int, help="year of year-less timestamps")
    parser.add_argument("--tz", help="IANA zone of zone-less timestamps (default UTC)")


def parse_inputs(args: argparse.Namespace, **kwargs: Any) -> Any:
    """Run :func:`multus_forensics.parse` with the shared options and print issue lines."""
    import sys

    from multus_forensics.pipeline import parse

    log = parse(args.paths, format=args.format, year=args.year, tz=args.tz, **kwargs)
    for f in log.stats.files:
        if f.skipped:
            where = f.file + (f"!{f.member}" if f.member else "")
            print(f"multus-forensics: skipped {where}: {f.skipped}", file=sys.stderr)
    return log
