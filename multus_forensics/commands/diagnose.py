"""``multus-forensics diagnose PATH... [--json] [-o FILE] [--rules FILE] [--fail-on SEVERITY]``.

Text output is for a person; ``--json`` prints one object ``{"findings", "unclassified",
"stats"}`` (findings in descending confidence). Exit codes: 0, 1 input error (also when an input
could not be read), 2 usage, 3 when a finding's severity reaches ``--fail-on``.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import TYPE_CHECKING

from multus_forensics.commands._common import add_input_arguments, parse_inputs
from multus_forensics.commands._conventions import output_file, stages

if TYPE_CHECKING:
    from multus_forensics.classify import Diagnosis

SEVERITY_ORDER = ("info", "warning", "error", "critical")
EVIDENCE_SHOWN = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the result to FILE")
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="extra rule file (TOML, [[rule]] tables); repeatable",
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITY_ORDER,
        metavar="SEVERITY",
        help=f"exit 3 when a finding has this severity or worse ({', '.join(SEVERITY_ORDER)})",
    )


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=100,
        initial_indent=first or indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )


def render_text(diag: Diagnosis) -> str:
    """The person-facing report: hypotheses best first, then what no rule explains."""
    s = diag.stats
    out = [
        f"{s.get('files', 0)} files, {s.get('lines', 0)} lines, {s.get('events', 0)} events, "
        f"{s.get('unparsed_lines', 0)} unparsed lines"
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
        out.append("   evidence:")
        for ev in f.evidence[:EVIDENCE_SHOWN]:
            text = " ".join(ev.text.split())
            out.append(f"     {ev.file}:{ev.line} ({ev.claim}): {text[:160]}")
        if len(f.evidence) > EVIDENCE_SHOWN:
            out.append(f"     ... {len(f.evidence) - EVIDENCE_SHOWN} more (see --json)")
    if diag.unclassified:
        out.append("")
        out.append("Errors no rule explains (clustered templates):")
        for u in diag.unclassified:
            out.append(f"  {u.count:>5}x  {u.template[:200]}")
            out.append(f"         e.g. {u.file}:{u.line}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from multus_forensics.classify import diagnose, load_catalog

    target = output_file(args.output, "diagnosis.json") if args.output else None
    catalog = load_catalog(args.rules)
    with stages(args, "parsing", "classifying") as bar:
        log = parse_inputs(args, show_errors=False)
        bar.advance()
        diag = diagnose(log, catalog=catalog)
    for where, reason in diag.unreadable:
        print(f"multus-forensics: cannot read {where}: {reason}", file=sys.stderr)
    text = json.dumps(diag.to_dict(), ensure_ascii=False) if args.json else render_text(diag)
    if target is None:
        print(text)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
        print(f"{len(diag.findings)} findings -> {target}")
    if diag.unreadable:
        return 1
    if args.fail_on:
        floor = SEVERITY_ORDER.index(args.fail_on)
        if any(SEVERITY_ORDER.index(f.severity) >= floor for f in diag.findings):
            return 3
    return 0
