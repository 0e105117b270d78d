"""Arguments shared by the subcommands that read logs, and how their problems are printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.errors import InputError

if TYPE_CHECKING:
    from multus_forensics.batch.progress import ProgressBar
    from multus_forensics.eventlog import EventLog

#: error lines printed before the rest is summarised (``parse --issues`` lists them all)
MAX_ERROR_LINES: Final = 20


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH..., --log-format, --year, --tz and the ingestion limits: every log-reading subcommand."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, directories, globs, archives (tar, zip, gz, bz2, xz, zst), or - for stdin",
    )
    add_log_format_argument(parser)
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


class DeprecatedAlias(argparse.Action):
    """An old flag spelling that still works but says, once, which name replaces it."""

    def __init__(self, *args: Any, replacement: str, **kwargs: Any) -> None:
        self.replacement = replacement
        super().__init__(*args, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"multus-forensics: warning: {option_string} is deprecated here; "
            f"use {self.replacement}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def add_log_format_argument(parser: argparse.ArgumentParser) -> None:
    """``--log-format`` (the input's format), with the old ``--format`` as a deprecated alias.

    ``--format`` meant the log format in some commands and the report format in ``report``; the
    two now have different names everywhere (``--log-format``, ``-f/--output-format``).
    """
    parser.add_argument(
        "--log-format", metavar="FORMAT", help="force a log format (see: multus-forensics formats)"
    )
    parser.add_argument(
        "--format",
        dest="log_format",
        metavar="FORMAT",
        action=DeprecatedAlias,
        replacement="--log-format",
        help="deprecated spelling of --log-format",
    )


def output_file(path: str, example: str) -> Path:
    """``-o PATH`` where a file is expected: an existing directory is a clear error that
    suggests ``example`` inside it."""
    target = Path(path)
    if target.is_dir():
        raise InputError(
            f"-o {path}: is a directory; give a file name inside it (for example "
            f"{target / example})"
        )
    return target


def _input_size(paths: list[str]) -> str:
    """``3 inputs, 812 MB``: what a progress bar is working on (directories walked)."""
    import os

    total = 0
    for path in paths:
        if os.path.isfile(path):
            total += os.path.getsize(path)
        elif os.path.isdir(path):
            for root, _, files in os.walk(path):
                total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    count = f"{len(paths)} input{'s' * (len(paths) != 1)}"
    if not total:
        return count
    return (
        f"{count}, {total / 1e6:.1f} MB" if total >= 100_000 else f"{count}, {total / 1e3:.0f} kB"
    )


@contextmanager
def stages(args: argparse.Namespace, *names: str) -> Iterator[ProgressBar]:
    """A progress bar over a command's stages, on a terminal only and never with ``--quiet``:
    a single large input shows which stage it is in and for how long."""
    from multus_forensics.batch.progress import stage_bar

    enabled = False if getattr(args, "quiet", False) else None
    desc = f"{getattr(args, 'command', None) or 'multus-forensics'} {_input_size(list(args.paths))}"
    with stage_bar(names, desc, enabled=enabled) as bar:
        yield bar


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
        raise InputError(str(exc)) from exc
    log = parse(
        args.paths, format=args.log_format, year=args.year, tz=args.tz, limits=limits, **kwargs
    )
    if show_errors:
        print_errors(log)
    return log
