"""The command line's conventions, shared by every subcommand: one name per meaning.

``--log-format`` is the logs' format and ``-f/--output-format`` a report's (the old ``--format``
stays as a deprecated alias of whichever it meant), ``-o`` is where a result goes (a directory
given where a file is expected is a clear error), and a long job shows its stages on a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multus_forensics.errors import InputError

if TYPE_CHECKING:
    from multus_forensics.batch.progress import ProgressBar


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
