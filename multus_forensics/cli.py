"""Command-line entry point: ``multus-forensics`` and ``python -m multus_forensics``.

Subcommands live in ``commands/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``
and are listed in :data:`COMMANDS`. Exit codes: 0 ok, 1 input or runtime error (one line on
stderr, a traceback only with ``--debug``), 2 usage, 3 a finding at or above ``--fail-on``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence
from typing import Final

#: subcommand -> (module under multus_forensics.commands, one-line help)
COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "parse": ("parse", "parse logs into typed events (parquet, csv or jsonl)"),
    "formats": ("formats", "list the log formats this tool reads"),
    "report": ("report", "HTML / Markdown / JSON report over logs and archives"),
    "timeline": ("timeline", "per-pod timelines: attempts, error chains, interface add order"),
    "diagnose": ("diagnose", "root causes with evidence, confidence and remediation"),
    "watch": ("watch", "follow growing logs and pipes; report root causes as they appear"),
}

EXIT_OK: Final = 0
EXIT_INPUT: Final = 1
EXIT_USAGE: Final = 2
EXIT_FINDINGS: Final = 3


def _global_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """``--debug`` and ``--quiet``, accepted before or after the subcommand.

    The subcommand's copies default to ``SUPPRESS`` so they never reset a flag given before it.
    """
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks on errors"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="no progress bar and no notes on stderr (errors are still printed)",
    )


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (the first word not an option: the global flags take no
    value), or ``None`` when there is none or it is not one of :data:`COMMANDS`."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; with ``only``, the subcommands not in it are listed but their modules
    are not imported nor their options added (a run uses one at most: a few ms per start)."""
    from multus_forensics import __version__

    parser = argparse.ArgumentParser(
        prog="multus-forensics",
        description="Forensics on Kubernetes node logs when Multus pod networking fails.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_flags(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_flags(p, argparse.SUPPRESS)
        if only is None or name in only:
            mod = importlib.import_module(f"multus_forensics.commands.{module}")
            mod.add_arguments(p)
            p.set_defaults(_module=mod)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (tests call this)."""
    from multus_forensics.errors import MultusForensicsError

    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = chosen_command(argv)
    parser = build_parser(only=() if chosen is None else (chosen,))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.quiet:
        import warnings

        from multus_forensics._native import NativeExtensionWarning

        warnings.simplefilter("ignore", NativeExtensionWarning)
    try:
        return int(args._module.run(args))
    except MultusForensicsError as exc:
        if args.debug:
            raise
        from multus_forensics.visible import visible

        print(f"multus-forensics: error: {visible(str(exc), layout=False)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("multus-forensics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: still one line, the traceback only with --debug
        if args.debug:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"multus-forensics: internal error: {type(exc).__name__}: {first} "
            "(rerun with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INPUT


def run() -> None:
    """Console-script entry point.

    The process ends here: the interpreter's last collection would walk every object the
    command made (imported modules, an event frame's views, a diagnosis) only to find them
    unreachable from nothing it keeps, a tenth of a 5-line ``diagnose`` and a fifth of a
    second after a large one. Frozen, they are skipped; files were closed by the commands
    (``atomic``) and standard streams are flushed at exit as always."""
    code = main()
    import gc

    gc.freeze()
    sys.exit(code)
