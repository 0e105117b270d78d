"""A log writer process for the watch tests: appends lines slowly, rotates, truncates, pipes.

Reads a JSON plan on stdin: ``{"delay": s, "steps": [...]}`` with steps
``["line", path, text]`` (append one line and flush), ``["pipe", text]`` (one line on stdout),
``["rename", path, new_path]``, ``["truncate", path]`` (copytruncate: copy, then truncate in
place), ``["sleep", s]``. File handles stay open across a rename, as a daemon's do until it is
told to reopen; a ``line`` to a path whose file was renamed away opens the new file. After each
``line`` step it writes ``<step index> <time.time()>`` to the file named by ``--times``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from typing import IO


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--times", required=True)
    args = ap.parse_args()
    plan = json.load(sys.stdin)
    delay = float(plan.get("delay", 0.0))
    handles: dict[str, IO[str]] = {}
    with open(args.times, "w", encoding="utf-8") as times:
        for index, step in enumerate(plan["steps"]):
            op = step[0]
            if op == "line":
                path, text = step[1], step[2]
                fh = handles.get(path)
                if fh is None:
                    fh = handles[path] = open(path, "a", encoding="utf-8")  # noqa: SIM115
                fh.write(text + "\n")
                fh.flush()
            elif op == "pipe":
                sys.stdout.write(step[1] + "\n")
                sys.stdout.flush()
            elif op == "rename":
                os.rename(step[1], step[2])  # the open handle keeps writing to the old file
            elif op == "reopen":
                handles.pop(step[1]).close()
            elif op == "truncate":
                shutil.copyfile(step[1], step[1] + ".1")
                os.truncate(step[1], 0)
            elif op == "sleep":
                time.sleep(float(step[1]))
                continue
            else:
                raise SystemExit(f"unknown step {op!r}")
            times.write(f"{index} {time.time()}\n")
            times.flush()
            if delay:
                time.sleep(delay)
    for fh in handles.values():
        fh.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
