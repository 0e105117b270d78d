"""``multus-forensics report PATH... -o DIR [-f html|md|json] [--json]``.

``-f/--output-format`` is the report's format and ``--log-format`` the logs' (the old
``--format`` still means the report format here, with a deprecation note). Rewriting into an
old report directory removes the sub-reports the previous run wrote there and this one did not.
Problems with the inputs are printed and set the exit code as in every command (:mod:`._common`).
"""

from __future__ import annotations

import argparse
import json
from typing import Final

from multus_forensics.commands._common import (
    add_limit_arguments,
    add_worker_arguments,
    add_year_argument,
    check_worker_arguments,
    limits_from,
    lost_input,
    no_events,
    print_errors,
)
from multus_forensics.commands._conventions import DeprecatedAlias

FORMATS: Final = ("html", "md", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="log files, directories or archives; each directory/archive is a bundle with its "
        "own sub-report under DIR/inputs/ and a row in the index (a directory of archives: one "
        "per archive); loose files are analysed together",
    )
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    parser.add_argument(
        "-f",
        "--output-format",
        dest="report_format",
        choices=FORMATS,
        default="html",
        help="report format (default: html, one self-contained file)",
    )
    parser.add_argument(
        "--format",
        dest="report_format",
        choices=FORMATS,
        action=DeprecatedAlias,
        replacement="-f/--output-format",
        help="deprecated spelling of --output-format",
    )
    parser.add_argument(
        "--log-format", metavar="FORMAT", help="force a log format (see: multus-forensics formats)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the files written as one JSON object"
    )
    add_year_argument(parser)
    parser.add_argument("--tz", help="IANA zone of zone-less timestamps (default UTC)")
    parser.add_argument("--title", default="Multus forensics report", help="report title")
    add_worker_arguments(parser)  # bundles, or the streams of a single bundle
    parser.add_argument("--no-plots", action="store_true", help="leave figures out (faster)")
    add_limit_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from multus_forensics.batch import ParseOptions
    from multus_forensics.model import ParseIssue
    from multus_forensics.report import write_report

    check_worker_arguments(args)  # before any parse: a typo fails at once
    limits = limits_from(args)
    options = ParseOptions(format=args.log_format, year=args.year, tz=args.tz, limits=limits)
    issues: list[ParseIssue] = []
    totals: dict[str, int] = {}
    written = write_report(
        args.paths,
        args.output,
        fmt=args.report_format,
        options=options,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
        title=args.title,
        plots=not args.no_plots,
        issues=issues,
        totals=totals,
    )
    print_errors(issues)
    if args.json:
        doc = {"index": str(written[0]), "inputs": [str(p) for p in written[1:]]}
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(written[0])
        if len(written) > 1 and not args.quiet:
            print(f"{len(written) - 1} per-input reports under {written[0].parent / 'inputs'}")
    if lost_input(issues):  # its stderr line already says why there may be no events
        return 1
    return no_events(totals)
