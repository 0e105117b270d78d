"""Arguments shared by the subcommands that read logs, and how their problems are printed."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.commands._conventions import add_log_format_argument

if TYPE_CHECKING:
    from multus_forensics.eventlog import EventLog

#: error lines printed before the rest is summarised (``parse --issues`` lists them all)
MAX_ERROR_LINES: Final = 20


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH..., --format, --year, --tz and the ingestion limits: every log-reading subcommand."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, directories, globs, archives (tar, zip, gz, bz2, xz, zst), or - for stdin",
    )
    add_log_format_argument(parser)  # --log-format, and --format as its deprecated alias
    parser.add_argument("--year", type=int, help="year of year-less timestamps")
    parser.add_argument("--tz", help="IANA zone of zone-less timestamps (default UTC)")
    parser.add_argument(
        "--max-member-bytes",
        type=int,
        metavar="N",
        help="decompressed bytes kept per file or archive member (default 2 GiB)",
    )
    parser.add_argument(
        "--max-depth", type=int, metavar="N", help="nested archive levels followed (default 3)"
    )


def print_errors(log: EventLog, limit: int = MAX_ERROR_LINES) -> None:
    """One stderr line per error issue (a lost line or an unreadable input), then a count."""
    errors = [i for i in log.issues if i.severity == "error"]
    for issue in errors[:limit]:
        print(f"multus-forensics: {issue}", file=sys.stderr)
    if len(errors) > limit:
        print(
            f"multus-forensics: ... and {len(errors) - limit} more errors "
            "(multus-forensics parse --issues lists every issue)",
            file=sys.stderr,
        )


def parse_inputs(args: argparse.Namespace, *, show_errors: bool = True, **kwargs: Any) -> EventLog:
    """Run :func:`multus_forensics.parse` with the shared options; print the errors it found."""
    from multus_forensics.ingest import Limits
    from multus_forensics.pipeline import parse

    limit_args = {
        key: value
        for key, value in (
            ("max_member_bytes", getattr(args, "max_member_bytes", None)),
            ("max_depth", getattr(args, "max_depth", None)),
        )
        if value is not None
    }
    try:
        limits = Limits(**limit_args) if limit_args else None
    except ValueError as exc:
        from multus_forensics.errors import InputError

        raise InputError(str(exc)) from exc
    log = parse(
        args.paths, format=args.log_format, year=args.year, tz=args.tz, limits=limits, **kwargs
    )
    if show_errors:
        print_errors(log)
    return log
