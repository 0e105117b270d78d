"""``multus-forensics diagnose PATH... [--json] [-o FILE] [--rules FILE] [--full-evidence] [--fail-on SEVERITY] [-j N] [--scheduler ADDRESS]``.

A bundle (a directory or an archive) is parsed stream by stream on ``--workers`` processes (or
the ``--scheduler`` Dask cluster) and only the rows the rules and timelines read are kept across
streams (:mod:`multus_forensics.batch.streams`); the findings are those of one process.

Text output is for a person; ``--json`` prints one object ``{"findings", "unclassified",
"stats", "exhausted_rules"}`` (findings in descending confidence). Problems with the inputs are
printed as ``parse`` prints them, one stderr line each. Exit codes: 0, 1 input error (an input
or member could not be read, or was cut: a truncated archive, a damaged stream, a limit; or no
input yielded any event), 2 usage, 3 when a finding's severity reaches ``--fail-on``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.commands._common import (
    add_input_arguments,
    add_rules_argument,
    add_worker_arguments,
    check_worker_arguments,
    has_bundle,
    lost_input,
    no_events,
    parse_bundle_inputs,
    parse_inputs,
    print_errors,
    split_note,
)
from multus_forensics.commands._conventions import output_file, stages
from multus_forensics.visible import json_visible, visible

if TYPE_CHECKING:
    from multus_forensics.classify import Catalog, Diagnosis
    from multus_forensics.classify.findings import Evidence, EvidenceItems, Finding
    from multus_forensics.eventlog import EventLog

SEVERITY_ORDER = ("info", "warning", "error", "critical")
EVIDENCE_SHOWN = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the result to FILE")
    add_rules_argument(parser)
    parser.add_argument(
        "--full-evidence",
        action="store_true",
        help="print every evidence record whole (default: a window around the decisive match)",
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITY_ORDER,
        metavar="SEVERITY",
        help=f"exit 3 when a finding has this severity or worse ({', '.join(SEVERITY_ORDER)})",
    )
    add_worker_arguments(parser)  # a bundle's streams are parsed on every worker


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=100,
        initial_indent=first or indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )


def render_text(diag: Diagnosis, *, full_evidence: bool = False) -> str:
    """The person-facing report: hypotheses best first, then what no rule explains.

    Each evidence item is named ``file[!member]:line`` and shown as a window around its
    decisive match; ``full_evidence`` prints every item's whole record instead, and all items.
    """
    s = diag.stats
    out = [
        f"{s.get('files', 0)} files, {s.get('lines', 0)} lines, {s.get('events', 0)} events, "
        f"{s.get('unparsed_lines', 0)} unparsed lines, {s.get('header_lines', 0)} header lines"
    ]
    if not diag.findings:
        out.append("No finding: no rule matched these logs.")
    for n, f in enumerate(diag.findings, start=1):
        label = "best hypothesis" if n == 1 else "alternative"
        out.append("")
        out.append(
            f"{n}. {f.root_cause}  confidence {f.confidence:.2f}  [{f.severity}]  "
            f"rule {f.rule}  ({label})"
        )
        out.append(_wrap(f.summary, "   "))
        seen = f"   seen {f.count}x"
        if f.first_seen:
            seen += (
                f", {f.first_seen.isoformat()} .. {f.last_seen.isoformat() if f.last_seen else '?'}"
            )
        if f.pods:
            seen += f"; pods: {', '.join(f.pods)}"
        out.append(seen)
        out.append("   why: " + "; ".join(f.reasons))
        if f.remediation:
            out.append("   remediation:")
            out.extend(_wrap(step, "       ", "     - ") for step in f.remediation)
        for d in f.discriminators:
            out.append(f"   to tell it from {d.against}, run: {d.check}")
            out.extend(_wrap(f"{w}: {m}", "       ", "     - if ") for w, m in d.outcomes)
        out.append("   evidence:")
        shown = f.evidence if full_evidence else f.evidence[:EVIDENCE_SHOWN]
        for ev in shown:
            out.append(f"     {ev.where} ({ev.claim}):")
            if full_evidence:
                out.extend(f"       {line}" for line in (ev.full or ev.text).splitlines())
            else:
                out.append(f"       {' '.join(ev.text.split())}")
        if len(f.evidence) > len(shown):
            out.append(
                f"     ... {len(f.evidence) - len(shown)} more (see --full-evidence or --json)"
            )
    if diag.exhausted_rules:
        out.append("")
        out.append(
            "Rules stopped by their regex budget (time or searches per run; their matches "
            "may be incomplete): " + ", ".join(diag.exhausted_rules)
        )
    if diag.unclassified:
        out.append("")
        out.append("Errors no rule explains (clustered templates):")
        for u in diag.unclassified:
            out.append(f"  {u.count:>5}x  {u.template[:200]}")
            out.append(f"         e.g. {u.file}:{u.line}")
    return visible("\n".join(out))


def json_pieces(diag: Diagnosis) -> Iterator[str]:
    """``json_visible(json.dumps(diag.to_dict(), ensure_ascii=False))`` in pieces: each
    finding's dict is made when it is written and its evidence an item at a time. The
    diagnosis of a large input is tens of MiB of JSON (one finding can cite every add of a
    Multus log); made whole, or a finding at a time, it was the peak memory of the run."""
    from dataclasses import replace

    shape = replace(diag, findings=[], unclassified=[]).to_dict()
    parts: dict[str, Iterator[str]] = {key: _value(value) for key, value in shape.items()}
    parts["findings"] = _array(_finding(f) for f in diag.findings)
    parts["unclassified"] = _array(_value(u.to_dict()) for u in diag.unclassified)
    return _object(parts.items())


def _value(value: object) -> Iterator[str]:
    yield json_visible(json.dumps(value, ensure_ascii=False))


def _array(items: Iterable[Iterator[str]]) -> Iterator[str]:
    """A JSON array of the items' pieces, separated as ``json.dumps`` separates them."""
    yield "["
    for i, pieces in enumerate(items):
        if i:
            yield ", "
        yield from pieces
    yield "]"


def _object(items: Iterable[tuple[str, Iterator[str]]]) -> Iterator[str]:
    yield "{"
    for i, (key, pieces) in enumerate(items):
        yield (", " if i else "") + json_visible(json.dumps(key, ensure_ascii=False)) + ": "
        yield from pieces
    yield "}"


def _finding(finding: Finding) -> Iterator[str]:
    """``finding.to_dict()`` in pieces, its evidence list an item at a time."""
    from dataclasses import replace

    shape = replace(finding, evidence=()).to_dict()
    parts = {key: _value(value) for key, value in shape.items()}
    parts["evidence"] = _evidence_array(finding.evidence)
    return _object(parts.items())


#: evidence items written as one piece (one write)
EVIDENCE_CHUNK: Final = 512


def _evidence_array(items: Sequence[Evidence]) -> Iterator[str]:
    """``_array(_value(e.to_dict()) for e in items)``, a chunk of items per piece, each item
    written from its fields as ``json.dumps`` writes its dict (same keys, separators and string
    escapes): a Multus log's finding cites tens of thousands of records, and a dict, a dumps
    call and a visibility pass per item were a tenth of the run. The items of rows without an
    error text (:class:`EvidenceItems`' columns) are written from their columns, a block of
    rows per vectorised pass, never made into objects."""
    from multus_forensics.classify.findings import EvidenceItems

    places: dict[tuple[str, str | None], tuple[str, str, str]] = {}
    slots: Sequence[Evidence | int] = items
    quiet: Iterator[str] = iter(())
    if isinstance(items, EvidenceItems):
        slots, quiet = items.slots, _quiet_json(items, places)
    yield "["
    for start in range(0, len(slots), EVIDENCE_CHUNK):
        chunk = ", ".join(
            next(quiet) if isinstance(s, int) else _evidence_json(s, places)
            for s in slots[start : start + EVIDENCE_CHUNK]
        )
        yield (", " if start else "") + chunk
    yield "]"


#: rows of an :class:`EvidenceItems`' columns read into lists at a time
QUIET_BLOCK: Final = 8192


def _quiet_json(
    items: EvidenceItems, places: dict[tuple[str, str | None], tuple[str, str, str]]
) -> Iterator[str]:
    """Each quiet row's item as :func:`_evidence_json` writes it, in row order, from a block
    of the columns at a time: a row's file, member and claim escaped once per distinct value,
    its record once (its shown text is the record itself unless it is longer than the window)."""
    from multus_forensics.classify.findings import WINDOW_CHARS, Evidence, quiet_text

    frame = items.quiet.frame
    claims: dict[str, str] = {}
    for start in range(0, frame.height, QUIET_BLOCK):
        block = frame.slice(start, QUIET_BLOCK)
        columns = (
            block.get_column(c).to_list() for c in ("file", "member", "line", "full", "claim")
        )
        for file, member, line, full, claim in zip(*columns, strict=True):
            if type(line) is not int or full is None:  # (as its object is written)
                yield _evidence_json(
                    Evidence(file, line, quiet_text(full), claim, member, full), places
                )
                continue
            place = places.get((file, member))
            if place is None:
                prefix = _string(file + (f"!{member}" if member else ""))[:-1]
                place = places[(file, member)] = (
                    _string(file),
                    "null" if member is None else _string(member),
                    prefix,
                )
            escaped = _string(full)
            text = escaped if len(full) <= WINDOW_CHARS else _string(quiet_text(full))
            said = claims.get(claim)
            if said is None:
                said = claims[claim] = _string(claim)
            number = int.__repr__(line)
            yield (
                f'{{"where": {place[2]}:{number}", "file": {place[0]}, "member": {place[1]}, '
                f'"line": {number}, "text": {text}, "full_text": {escaped}, "claim": {said}}}'
            )


def _string(text: str) -> str:
    """``json_visible(json.dumps(text, ensure_ascii=False))``; an ASCII text (most records)
    holds no character to escape but DEL, found without a regex pass."""
    out: str = encode_basestring(text)
    return out if out.isascii() and "\x7f" not in out else json_visible(out)


def _evidence_json(e: Evidence, places: dict[tuple[str, str | None], tuple[str, str, str]]) -> str:
    """``json_visible(json.dumps(e.to_dict(), ensure_ascii=False))``. The window is often the
    whole record (then it is escaped once); ``places`` keeps each (file, member)'s escaped
    strings, and ``where`` is that prefix with ``:line`` (digits need no escape)."""
    place = places.get((e.file, e.member))
    if place is None:
        member = "null" if e.member is None else _string(e.member)
        prefix = _string(e.file + (f"!{e.member}" if e.member else ""))[:-1]
        place = places[(e.file, e.member)] = (_string(e.file), member, prefix)
    file, member, prefix = place
    text = _string(e.text)
    full = text if not e.full or e.full == e.text else _string(e.full)
    if type(e.line) is int:
        line = int.__repr__(e.line)
        where = f'{prefix}:{line}"'
    else:
        line, where = json.dumps(e.line), _string(e.where)
    return (
        f'{{"where": {where}, "file": {file}, "member": {member}, "line": {line}, '
        f'"text": {text}, "full_text": {full}, "claim": {_claim(e.claim)}}}'
    )


#: an item's claim escaped once per distinct claim ("match", "context"...), not once per item
_claim: Final = functools.lru_cache(maxsize=256)(_string)


def _parse(args: argparse.Namespace, catalog: Catalog) -> EventLog:
    """The inputs parsed for a diagnosis: the rows no diagnosis reads are dropped from large
    journals as they are read, unless the whole input is needed (:mod:`multus_forensics.rowcut`)."""
    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.rowcut import parse_for_diagnosis

    def parse(**kwargs: Any) -> EventLog:
        return parse_inputs(args, show_errors=False, **kwargs)

    log = parse_for_diagnosis(args.paths, keep_spec(catalog), parse)
    print_errors(log)
    return log


def run(args: argparse.Namespace) -> int:
    from multus_forensics.classify import diagnose, load_catalog

    target = output_file(args.output, "diagnosis.json") if args.output else None
    check_worker_arguments(args)
    catalog = load_catalog(args.rules)  # before the parse: a bad rule file fails fast
    with stages(args, "parsing", "classifying") as bar:
        # its problems printed as every command prints them
        bundle = has_bundle(args.paths)
        log = (
            parse_bundle_inputs(args, catalog=catalog, cut=True)
            if bundle
            else _parse(args, catalog)
        )
        bar.advance()
        diag = diagnose(log, catalog=catalog)
    if not args.quiet:  # (after the diagnosis, which finds whether the hits can be placed)
        split_note(log)
    for rule in diag.exhausted_rules:
        print(
            f"multus-forensics: rule {visible(rule, layout=False)}: regex budget used up; "
            "its remaining searches were skipped",
            file=sys.stderr,
        )
    pieces = (
        json_pieces(diag)
        if args.json
        else iter([render_text(diag, full_evidence=args.full_evidence)])
    )
    if target is None:
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    else:
        from multus_forensics.atomic import write_atomic

        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(pieces)
                fh.write("\n")

        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, write)
        print(f"{len(diag.findings)} findings -> {visible(str(target), layout=False)}")
    if log.stats.nothing_read or lost_input(log.issues):
        return 1
    # raw lines of a paste no format knows still count when a rule found something in them
    if not diag.findings and no_events(diag.stats):
        return 1
    if args.fail_on:
        floor = SEVERITY_ORDER.index(args.fail_on)
        if any(SEVERITY_ORDER.index(f.severity) >= floor for f in diag.findings):
            return 3
    return 0
