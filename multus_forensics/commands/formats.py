"""``multus-forensics formats``: the registry, with aliases and file-name patterns."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    from multus_forensics.registry import all_formats

    del args
    for fmt in all_formats():
        aliases = f" (aliases: {', '.join(fmt.aliases)})" if fmt.aliases else ""
        globs = f" [files: {' '.join(fmt.filename_globs)}]" if fmt.filename_globs else ""
        print(f"{fmt.name:20} {fmt.description}{aliases}{globs}")
    return 0
