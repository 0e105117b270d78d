"""``multus-forensics timeline PATH... [--pod NS/NAME] [-o FILE] [--json]``: per-pod timelines.

Prints a readable story per pod (attempts, add order, innermost error, anomalies). ``-o`` writes
the frames instead: ``.json`` (one object holding every frame), ``.parquet`` / ``.csv`` (one file
per frame, ``<stem>.<frame>.<ext>``), anything else receives the text; every file is written
atomically. Exit 1 when nothing could be read, an input or member was lost or cut (what was
read is still shown), or ``--pod`` matches no pod.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from multus_forensics.commands._common import (
    add_input_arguments,
    lost_input,
    no_events,
    parse_inputs,
)
from multus_forensics.commands._conventions import output_file, stages
from multus_forensics.errors import InputError
from multus_forensics.visible import visible

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.timeline import Timelines

FRAMES: Final = ("pods", "attempts", "interfaces", "anomalies", "events")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--pod", metavar="NS/NAME", help="only this pod (NS/NAME, NAME or UID)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write .json (all frames), .parquet/.csv (one file per frame) or a text file",
    )
    parser.add_argument(
        "--json", action="store_true", help="print every frame as one JSON object on stdout"
    )
    parser.add_argument(
        "--skew",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="clock difference tolerated between sources (default 5)",
    )


def _frames(timelines: Timelines, pod: str | None) -> dict[str, pl.DataFrame]:
    """The five frames, the first four narrowed to ``pod`` when one is given."""
    frames = {
        "pods": timelines.pods(),
        "attempts": timelines.attempts(),
        "interfaces": timelines.interfaces(),
        "anomalies": timelines.anomalies(),
        "events": timelines.events(pod),
    }
    if pod is not None:
        sel = {t.key for t in timelines.select(pod)}
        for name in FRAMES[:4]:
            df = frames[name]
            keep = [
                (r[0], r[1], r[2]) in sel for r in df.select("namespace", "pod", "pod_uid").rows()
            ]
            frames[name] = df.filter(keep) if keep else df
    return frames


def _json(frames: dict[str, pl.DataFrame]) -> str:
    doc = {name: json.loads(df.write_json()) for name, df in frames.items()}
    return json.dumps(doc, indent=1, default=str)


def _write(timelines: Timelines, pod: str | None, path: Path, text: str) -> list[Path]:
    from multus_forensics.atomic import write_atomic, write_text_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = _frames(timelines, pod)
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_text_atomic(path, _json(frames))
        return [path]
    if suffix in (".parquet", ".csv"):
        written = []
        for name, df in frames.items():
            target = path.with_name(f"{path.stem}.{name}{suffix}")
            write_atomic(target, df.write_parquet if suffix == ".parquet" else df.write_csv)
            written.append(target)
        return written
    write_text_atomic(path, visible(text))
    return [path]


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from multus_forensics.timeline import build_timelines
    from multus_forensics.timeline.render import render

    if args.output:
        output_file(args.output, "timelines.json")
    with stages(args, "parsing", "building timelines") as bar:
        log = parse_inputs(args)
        if log.stats.nothing_read:
            print("multus-forensics: error: nothing could be read", file=sys.stderr)
            return 1
        if not log.stats.events and lost_input(log.issues):
            return 1  # the lost input's stderr line says why there are no events
        if no_events(log.stats.as_dict()):
            return 1
        bar.advance()
        timelines = build_timelines(log, skew=timedelta(seconds=args.skew))
    if args.pod is not None and not timelines.select(args.pod):
        raise InputError(f"no pod {args.pod!r} in these logs ({len(timelines)} pods found)")
    if args.json and not args.output:
        print(_json(_frames(timelines, args.pod)))
        return 1 if lost_input(log.issues) else 0
    text = render(timelines, args.pod)
    if args.output:
        written = _write(timelines, args.pod, Path(args.output), text)
        print(f"{len(timelines.select(args.pod))} pods -> " + ", ".join(str(p) for p in written))
    else:
        sys.stdout.write(visible(text))
    return 1 if lost_input(log.issues) else 0
