"""``write_report``: parse inputs (in parallel), analyse, and write HTML, Markdown or JSON files.

One unit (a bundle, or loose files) gives one ``report.<ext>``. Several bundles (one archive per
node or per incident) give an index ``report.<ext>`` over all of them, with a row per bundle
linking down to ``inputs/<NN>-<name>.<ext>``, each of which links back. Links are relative, so
the directory can be zipped and moved.

Every file is written atomically (:mod:`multus_forensics.atomic`: a symlink planted at a
target is replaced, never followed), one run at a time per folder (a second run gets a clear
error), and the output folder is never read as input (a report written inside the folder it
analyses would read its earlier output back in). Text formats render control characters from
the logs visibly (:mod:`multus_forensics.visible`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from multus_forensics.atomic import output_lock, safe_folder, write_text_atomic
from multus_forensics.batch import ParseOptions, group_units, iter_batch, run_batch
from multus_forensics.batch.progress import progress_bar
from multus_forensics.batch.units import Unit
from multus_forensics.errors import InputError
from multus_forensics.lazyre import lazy
from multus_forensics.report.aggregate import merge_report_data
from multus_forensics.report.data import ReportData, build_report_data

if TYPE_CHECKING:
    from multus_forensics.eventlog import EventLog
    from multus_forensics.model import ParseIssue

ReportFormat = Literal["html", "md", "json"]
EXTENSIONS: Final[dict[str, str]] = {"html": "html", "md": "md", "json": "json"}


def render(data: ReportData, fmt: ReportFormat, *, index_link: str | None = None) -> str:
    """``data`` as text in ``fmt``."""
    from multus_forensics.visible import json_visible, visible

    if fmt == "html":
        from multus_forensics.report.html import render_html

        return visible(render_html(data, index_link=index_link))
    if fmt == "md":
        from multus_forensics.report.markdown import render_markdown

        return visible(render_markdown(data, index_link=index_link))
    if fmt == "json":
        from multus_forensics.report.jsontext import dumps_indented

        doc = data.json_document()
        if index_link:
            doc["index"] = index_link
        return json_visible(dumps_indented(doc, jsonable=True)) + "\n"
    raise InputError(f"unknown report format {fmt!r}; use html, md or json")


def _write(path: Path, text: str) -> None:
    write_text_atomic(path, text)


def _excluding(options: ParseOptions | None, out: Path) -> ParseOptions:
    """``options`` whose limits never read ``out`` (the report folder) as input."""
    from multus_forensics.ingest import Limits

    options = options or ParseOptions()
    limits = options.limits or Limits()
    exclude = (*limits.exclude, os.path.realpath(out))
    return replace(options, limits=replace(limits, exclude=exclude))


#: in the output directory: the files the last run wrote there (relative paths, JSON)
MANIFEST: Final = ".multus-forensics-report.json"
#: a sub-report's file name as :func:`_slug` makes it
_SUB_REPORT: Final = lazy(r"\d{2}-[A-Za-z0-9._-]+\.(?:html|md|json)")


def _forget_stale(out: Path, written: Sequence[Path]) -> None:
    """Delete what the previous run into ``out`` wrote and this one did not, then record this
    run's files, so an old report folder never shows stale sub-reports beside new ones. Only
    files named in the manifest are touched: nothing else in the directory is removed."""
    manifest = out / MANIFEST
    now = {p.relative_to(out).as_posix() for p in written}
    try:
        before = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):  # a folder from before manifests: our names
        before = [
            f"inputs/{p.name}" for p in (out / "inputs").glob("*") if _SUB_REPORT.fullmatch(p.name)
        ]
    for rel in before:
        # a planted manifest must not reach outside the folder: only our own sub-report names
        if str(rel) in now or not _SUB_REPORT.fullmatch(Path(str(rel)).name):
            continue
        if Path(str(rel)).parts != ("inputs", Path(str(rel)).name):
            continue
        stale = out / "inputs" / Path(str(rel)).name
        if stale.is_symlink() or not stale.is_file():
            continue
        stale.unlink()
    inputs = out / "inputs"
    if inputs.is_dir() and not any(inputs.iterdir()):
        inputs.rmdir()
    _write(manifest, json.dumps({"files": sorted(now)}, indent=1) + "\n")


def _slug(index: int, path: str) -> str:
    base = os.path.basename(os.path.normpath(path)) or "stdin"
    return f"{index:02d}-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:60] or "input")


def _input_row(path: str, data: ReportData) -> dict[str, Any]:
    stats = data.diagnosis.get("stats", {})
    causes: list[str] = []
    for f in data.diagnosis.get("findings", []):
        if f.get("root_cause") not in causes:
            causes.append(str(f.get("root_cause")))
    findings = data.diagnosis.get("findings", [])
    top = findings[0] if findings else {}
    top_pods = [str(p) for p in top.get("pods") or []]
    return {
        "input": path,
        "report": None,
        "top_cause": top.get("root_cause"),
        "confidence": top.get("confidence"),
        "pods": top_pods,
        "nodes": data.cause_nodes.get(str(top.get("root_cause")), []) if top else [],
        "files": stats.get("files", 0),
        "lines": stats.get("lines", 0),
        "events": stats.get("events", 0),
        "unparsed_lines": stats.get("unparsed_lines", 0),
        "findings": len(data.diagnosis.get("findings", [])),
        "root_causes": causes,
    }


def unit_report(
    label: str, log: EventLog, *, fmt: ReportFormat, title: str, plots: bool
) -> tuple[str, dict[str, Any], ReportData]:
    """One bundle's sub-report text, its index row and its data (runs in a batch worker)."""
    data = build_report_data(log, title=f"{title}: {label}", plots=plots)
    text = render(data, fmt, index_link=f"../report.{EXTENSIONS[fmt]}")
    return text, _input_row(label, data), data


def write_report(
    paths: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    fmt: ReportFormat = "html",
    options: ParseOptions | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    title: str = "Multus forensics report",
    plots: bool = True,
    issues: list[ParseIssue] | None = None,
    totals: dict[str, int] | None = None,
) -> list[Path]:
    """Write the report(s) for ``paths`` into ``out_dir``; returns the files written, index first.

    Each bundle (directory or archive) is a unit; loose files together are one unit (see
    :func:`multus_forensics.batch.group_units`). With one unit the report is analysed as a
    whole. With several, each unit is parsed, analysed and rendered in a batch worker
    (``workers``, ``scheduler``, ``progress`` as in :func:`~multus_forensics.batch.run_batch`)
    and the index combines their results (:mod:`multus_forensics.report.aggregate`). ``fmt`` is
    ``html`` (self-contained page), ``md`` or ``json``. ``issues``, when given, receives every
    parse issue of every unit (the CLI prints them as the other commands do); ``totals``, the
    input statistics over every unit (``events``, ``lines``, ``unparsed_lines``...).
    """
    if fmt not in EXTENSIONS:
        raise InputError(f"unknown report format {fmt!r}; use html, md or json")
    if not paths:
        raise InputError("no input given")
    plots = plots and fmt == "html"  # only the page embeds figures; they cost ~0.5 s each
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            f"cannot create output directory {out}: it is a file (report -o takes a directory)"
        )
    options = _excluding(options, out)
    units = group_units(paths)
    safe_folder(out, named=True)
    with output_lock(out):
        return _write_units(
            units, out, fmt, options, workers, scheduler, progress, title, plots, issues, totals
        )


def _single_unit_log(
    unit: Unit,
    options: ParseOptions,
    workers: int | None,
    scheduler: Any,
    progress: bool | None,
) -> EventLog:
    """The log of the only unit: a bundle, or several loose files, has its streams parsed on
    every worker and cut to the rows the report reads (:mod:`multus_forensics.batch.streams`);
    a single file is parsed here, or on the Dask cluster when one is given or active."""
    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.batch.runner import active_dask_client
    from multus_forensics.batch.streams import parse_streams
    from multus_forensics.batch.units import is_bundle

    if len(unit.paths) == 1 and (unit.paths[0] == "-" or not is_bundle(unit.paths[0])):
        if scheduler is None and active_dask_client() is None:
            return _parse_here(unit, options, progress)
        batch = run_batch([unit], options, workers=1, scheduler=scheduler, progress=progress)
        return batch.units[0].log()
    streamed = parse_streams(
        unit.paths, options, keep=keep_spec(), match=True, workers=workers, scheduler=scheduler
    )
    return streamed.log


def _parse_here(unit: Unit, options: ParseOptions, progress: bool | None) -> EventLog:
    """``unit`` parsed in this process as a batch worker parses it, without the Arrow IPC
    round trip a worker's result takes (0.4 s CPU and a second copy of the frame for a
    32 MiB journal)."""
    with progress_bar(1, "parsing", enabled=progress) as bar:
        log = options.parse(unit.paths)
        bar.advance(os.path.basename(unit.label.rstrip("/")))
    return log


def _write_units(
    units: list[Unit],
    out: Path,
    fmt: ReportFormat,
    options: ParseOptions,
    workers: int | None,
    scheduler: Any,
    progress: bool | None,
    title: str,
    plots: bool,
    issues: list[ParseIssue] | None,
    totals: dict[str, int] | None,
) -> list[Path]:
    ext = EXTENSIONS[fmt]
    several = len(units) > 1
    if several:
        safe_folder(out / "inputs")
    index = out / f"report.{ext}"
    if not several:
        log = _single_unit_log(units[0], options, workers, scheduler, progress)
        if issues is not None:
            issues.extend(log.issues)
        data = build_report_data(log, title=title, plots=plots)
        _write(index, render(data, fmt))
        _forget_stale(out, [index])
        if totals is not None:
            totals.update(data.diagnosis.get("stats", {}))
        return [index]
    after = partial(unit_report, fmt=fmt, title=title, plots=plots)
    written: list[Path] = []
    rows: list[dict[str, Any]] = []
    parts: list[tuple[str, ReportData]] = []
    with progress_bar(len(units), "analysing", enabled=progress) as bar:
        for i, unit in enumerate(
            iter_batch(
                units, options, workers=workers, scheduler=scheduler, after=after, keep_events=False
            ),
            1,
        ):
            text, row, data = unit.extra
            if issues is not None:
                issues.extend(unit.issues)
            rel = f"inputs/{_slug(i, unit.input)}.{ext}"
            _write(out / rel, text)
            written.append(out / rel)
            rows.append({**row, "report": rel})
            parts.append((unit.input, data))
            bar.advance(os.path.basename(unit.input.rstrip("/")))
    merged = merge_report_data(parts, title, plots=plots)
    merged.inputs = rows
    _write(index, render(merged, fmt))
    _forget_stale(out, [index, *written])
    if totals is not None:
        for key in ("files", "lines", "events", "unparsed_lines"):
            totals[key] = sum(int(r.get(key) or 0) for r in rows)
    return [index, *written]
