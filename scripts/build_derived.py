#!/usr/bin/env python3
"""Rewrite ``multus_forensics/rules/derived.json`` from the packaged rule files.

    .venv/bin/python scripts/build_derived.py [--check]

Run it after editing a rule file (or the literal derivation in ``classify/select.py``):
``tests/test_rules_derived.py`` fails while the file is stale. ``--check`` only reports whether
the file is current (exit 1 when not). See :mod:`multus_forensics.classify.derived` for why the
file exists and why a stale one never changes a result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from multus_forensics.classify.derived import DERIVED, build_packaged, render

TARGET = Path(__file__).resolve().parent.parent / "multus_forensics" / "rules" / DERIVED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render(build_packaged())
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        print(f"{TARGET.name}: {'current' if text == current else 'STALE'}")
        return int(text != current)
    if text != current:
        TARGET.write_text(text, encoding="utf-8")
    print(f"{TARGET.name}: {'rewritten' if text != current else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
