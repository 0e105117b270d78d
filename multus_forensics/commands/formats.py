"""``multus-forensics formats``: the registry, with aliases and file-name patterns, and whether
each compiled fast path is in use (and why not)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from multus_forensics._native import EXTENSIONS, status
    from multus_forensics.registry import all_formats

    fast = status()
    if args.json:
        doc = {
            "formats": [
                {
                    "name": fmt.name,
                    "description": fmt.description,
                    "aliases": list(fmt.aliases),
                    "filename_globs": list(fmt.filename_globs),
                }
                for fmt in all_formats()
            ],
            "fast_paths": {
                name: {"on": reason is None, "reason": reason, "speeds_up": EXTENSIONS[name]}
                for name, reason in fast.items()
            },
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    for fmt in all_formats():
        aliases = f" (aliases: {', '.join(fmt.aliases)})" if fmt.aliases else ""
        globs = f" [files: {' '.join(fmt.filename_globs)}]" if fmt.filename_globs else ""
        print(f"{fmt.name:20} {fmt.description}{aliases}{globs}")
    print()
    for name, reason in fast.items():
        state = "on" if reason is None else f"off ({reason}; same results, slower)"
        print(f"fast path {name}: {state} — {EXTENSIONS[name]}")
    return 0
