"""Arguments shared by the subcommands that read logs, and how their problems are printed."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.commands._conventions import add_log_format_argument

if TYPE_CHECKING:
    from collections.abc import Sequence

    from multus_forensics.classify.catalog import Catalog
    from multus_forensics.eventlog import EventLog
    from multus_forensics.ingest import Limits
    from multus_forensics.model import ParseIssue

#: error lines printed before the rest is summarised (``parse --issues`` lists them all)
MAX_ERROR_LINES: Final = 20
#: file-level notes (warnings about a whole file) printed to stderr before a count of the rest
MAX_NOTE_LINES: Final = 5


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH..., --format, --year, --tz and the ingestion limits: every log-reading subcommand."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, directories, globs, archives (tar, zip, gz, bz2, xz, zst), or - for stdin",
    )
    add_log_format_argument(parser)  # --log-format, and --format as its deprecated alias
    add_year_argument(parser)
    parser.add_argument("--tz", help="IANA zone of zone-less timestamps (default UTC)")
    add_limit_arguments(parser)


#: years ``--year`` accepts: the logs this tool reads are from Kubernetes' lifetime
YEARS: Final = range(1970, 2201)


def year(text: str) -> int:
    """``--year``: an integer in :data:`YEARS` (year 0 or 99999 would give null timestamps)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if value not in YEARS:
        raise argparse.ArgumentTypeError(
            f"year {value} out of range ({YEARS.start}..{YEARS.stop - 1})"
        )
    return value


def add_year_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=year, help="year of year-less timestamps")


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    """``--rules FILE`` (repeatable): user rule files added to the packaged catalog."""
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="extra rule file (TOML, [[rule]] tables); repeatable",
    )


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """The ingestion limits (:class:`~multus_forensics.ingest.Limits`), for every command."""
    parser.add_argument(
        "--max-member-bytes",
        type=int,
        metavar="N",
        help="decompressed bytes kept per file or archive member (default 2 GiB)",
    )
    parser.add_argument(
        "--max-depth", type=int, metavar="N", help="nested archive levels followed (default 3)"
    )
    parser.add_argument(
        "--max-expanded-bytes",
        type=int,
        metavar="N",
        help="bytes one compressed input may expand to, all members and depths "
        "(default 512 MiB, or 16x the input's size when larger)",
    )
    parser.add_argument(
        "--max-members",
        type=int,
        metavar="N",
        help="archive members read per input (default 10000)",
    )


def limits_from(args: argparse.Namespace, exclude: Sequence[str] = ()) -> Limits | None:
    """The :class:`~multus_forensics.ingest.Limits` the options ask for (``None``: defaults)."""
    from multus_forensics.errors import InputError
    from multus_forensics.ingest import Limits

    given: dict[str, Any] = {
        key: value
        for key in ("max_member_bytes", "max_depth", "max_expanded_bytes", "max_members")
        if (value := getattr(args, key, None)) is not None
    }
    if exclude:
        given["exclude"] = tuple(exclude)
    try:
        return Limits(**given) if given else None
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def lost_input(issues: Sequence[ParseIssue]) -> bool:
    """Whether an input or member was lost or cut (a file-level error, not one bad line)."""
    return any(i.lost for i in issues)


def print_errors(log: EventLog | Sequence[ParseIssue], limit: int = MAX_ERROR_LINES) -> None:
    """One stderr line per run of error issues (a lost line or an unreadable input), then a count.

    Input-level problems (an input or member lost or cut) come first: they matter more than a
    line no parser took, and must not hide behind the cap. Consecutive lines of one file lost
    for one reason (a shell trace before the first record, a binary stretch) are one line with
    their range and count, so that they do not push every other error past the cap.
    """
    from multus_forensics.eventlog import EventLog
    from multus_forensics.visible import visible

    issues = log.issues if isinstance(log, EventLog) else log
    errors = [i for i in issues if i.severity == "error"]
    errors.sort(key=lambda i: i.line is not None)  # stable: file order kept within each group
    runs = error_runs(errors)
    for first, count, last in runs[:limit]:
        print(
            f"multus-forensics: {visible(_run_text(first, count, last), layout=False)}",
            file=sys.stderr,
        )
    if len(runs) > limit:
        left = sum(count for _, count, _ in runs[limit:])
        print(
            f"multus-forensics: ... and {left} more errors "
            "(multus-forensics parse --issues lists every issue)",
            file=sys.stderr,
        )
    # notes about a whole file (the zone its times were printed in, year evidence that
    # disagrees, a paste's stripped prefixes) change how every time of it reads: shown too
    notes = [i for i in issues if i.severity == "warning" and i.line is None]
    for note in notes[:MAX_NOTE_LINES]:
        print(f"multus-forensics: note: {visible(str(note), layout=False)}", file=sys.stderr)
    if len(notes) > MAX_NOTE_LINES:
        print(
            f"multus-forensics: ... and {len(notes) - MAX_NOTE_LINES} more notes "
            "(multus-forensics parse --issues lists every issue)",
            file=sys.stderr,
        )


def error_runs(errors: Sequence[ParseIssue]) -> list[tuple[ParseIssue, int, int | None]]:
    """``errors`` as runs ``(first issue, count, last line)``: issues of one file, member and
    reason on consecutive lines, in order, join one run; every issue is in exactly one."""
    runs: list[tuple[ParseIssue, int, int | None]] = []
    for issue in errors:
        if runs:
            first, count, last = runs[-1]
            if (
                issue.line is not None
                and last is not None
                and issue.line == last + 1
                and (issue.file, issue.member, issue.reason)
                == (first.file, first.member, first.reason)
            ):
                runs[-1] = (first, count + 1, issue.line)
                continue
        runs.append((issue, 1, issue.line))
    return runs


def _run_text(first: ParseIssue, count: int, last: int | None) -> str:
    if count == 1:
        return str(first)
    where = first.file + (f"!{first.member}" if first.member else "")
    text = f"{where}:{first.line}-{last}: {first.reason} ({count} lines)"
    return text + (f"; the first: {first.excerpt!r}" if first.excerpt else "")


def no_events(stats: dict[str, int]) -> int:
    """Exit code 1 (with one stderr line) when no input yielded any event, else 0.

    Lines read but not recognised are not a clean bill of health: the command says so.
    """
    if stats.get("events", 0):
        return 0
    print(
        f"multus-forensics: error: no input yielded any event ({stats.get('files', 0)} files, "
        f"{stats.get('lines', 0)} lines, {stats.get('unparsed_lines', 0)} unparsed)",
        file=sys.stderr,
    )
    return 1


def parse_inputs(args: argparse.Namespace, *, show_errors: bool = True, **kwargs: Any) -> EventLog:
    """Run :func:`multus_forensics.parse` with the shared options; print the errors it found."""
    from multus_forensics.pipeline import parse

    limits = limits_from(args)
    log = parse(
        args.paths,
        format=args.log_format,
        year=args.year,
        tz=args.tz,
        limits=limits,
        on_error="collect",  # a missing input is reported with the others, then exit 1
        **kwargs,
    )
    if show_errors:
        print_errors(log)
    return log


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """``-j/--workers`` and ``--scheduler``: where the streams of a bundle are parsed."""
    parser.add_argument(
        "-j", "--workers", type=int, help="local worker processes (default: CPU count)"
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask scheduler (tcp://host:8786)"
    )


def check_worker_arguments(args: argparse.Namespace) -> None:
    """Refuse a bad ``--workers`` or ``--scheduler`` before anything is parsed."""
    from multus_forensics.batch.address import scheduler_address
    from multus_forensics.errors import InputError

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, not {args.workers}")
    if args.scheduler is not None:
        scheduler_address(args.scheduler)


def has_bundle(paths: Sequence[str]) -> bool:
    """Whether an input is a bundle (a directory or an archive): its streams go to workers."""
    from multus_forensics.batch.units import is_bundle

    return any(p != "-" and is_bundle(p) for p in paths)


def parse_bundle_inputs(
    args: argparse.Namespace,
    *,
    show_errors: bool = True,
    catalog: Catalog | None = None,
    cut: bool = False,
) -> EventLog:
    """Like :func:`parse_inputs`, with the streams parsed on ``--workers`` processes or the
    ``--scheduler`` cluster and cut to the rows ``catalog``'s analysis reads
    (:func:`multus_forensics.batch.streams.parse_streams`); with ``cut``, to the rows its
    diagnosis reads unless a stream has an interface add."""
    from multus_forensics.batch import ParseOptions
    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.batch.streams import parse_streams

    options = ParseOptions(
        format=args.log_format, year=args.year, tz=args.tz, limits=limits_from(args)
    )
    streamed = parse_streams(
        args.paths,
        options,
        keep=keep_spec(catalog),
        match=True,  # the rules matched per stream where it is parsed
        cut=cut,
        workers=getattr(args, "workers", None),
        scheduler=getattr(args, "scheduler", None),
    )
    if show_errors:
        print_errors(streamed.log)
    return streamed.log


def split_note(log: EventLog) -> None:
    """One stderr note when a bundle's rules could not be matched where its streams were parsed
    (:mod:`multus_forensics.classify.partial`): the diagnosis is the same, matched here."""
    from multus_forensics.classify.partial import carried
    from multus_forensics.visible import visible

    matches = carried(log)
    if matches is not None and matches.why_not:
        why = visible(matches.why_not, layout=False)
        print(f"multus-forensics: note: rules matched in one process: {why}", file=sys.stderr)
