"""Render :class:`ReportData` as Markdown for tickets (GitHub, GitLab, Jira with Markdown).

Log text never becomes Markdown or HTML: in table cells and prose it is escaped (HTML entities for
``<>&``, backslashes for Markdown punctuation, newlines folded), and multi-line evidence goes into
fenced blocks whose fence is longer than any backtick run in the text, so it cannot close early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from multus_forensics.lazyre import lazy
from multus_forensics.report.data import (
    EVIDENCE_ROWS,
    FINDING_PODS,
    ISSUE_ROWS,
    ReportData,
    headline,
    primary_ranks,
    shown,
    when,
)

_MD_SPECIAL = lazy(r"([\\`*_\[\]|~])")
_LINE_START = lazy(r"^(\s*)([#+=>-]|\d+[.)])")


def md(value: object, *, line_start: bool = False) -> str:
    """Inline text safe in Markdown prose and table cells (``line_start``: begins a line)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = when(value)
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))
    return _LINE_START.sub(_escape_marker, text) if line_start else text


def _escape_marker(m: re.Match[str]) -> str:
    """``- x`` -> ``\\- x``; ``12. x`` -> ``12\\. x`` (a backslash only escapes punctuation)."""
    marker = m.group(2)
    return m.group(1) + (marker[:-1] + "\\" + marker[-1] if len(marker) > 1 else "\\" + marker)


def fenced(text: object) -> str:
    """A fenced code block that ``text`` cannot break out of."""
    body = "" if text is None else str(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def _table(headers: list[str], rows: Iterable[Iterable[object]]) -> str:
    lines = ["| " + " | ".join(md(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _finding(rank: int, f: dict[str, Any], *, primary: bool = True) -> list[str]:
    pods, more_pods = shown(list(f.get("pods") or []), FINDING_PODS)
    out = [
        f"### {rank}. {'' if primary else '(alternative) '}{md(f.get('root_cause'))}: "
        f"{md(f.get('title'))}",
        "",
        f"Confidence {md(f.get('confidence'))}, {md(f.get('count'))} occurrences.",
        "",
        md(f.get("summary"), line_start=True),
        "",
        f"- **Pods:** {md(', '.join(map(str, pods)))}"
        + (f" and {more_pods} more" if more_pods else ""),
        f"- **Seen:** {when(f.get('first_seen'))} to {when(f.get('last_seen'))}",
        f"- **Rule:** {md(f.get('rule'))}",
        f"- **Why:** {md('; '.join(str(r) for r in f.get('reasons') or []))}",
        "- **Remediation:**",
    ]
    steps = f.get("remediation") or []
    out += [
        f"  {i}. {md(step)}"
        for i, step in enumerate([steps] if isinstance(steps, str) else steps, 1)
    ]
    for d in f.get("discriminators") or []:
        out.append(f"- **To tell it from {md(d.get('against'))}, run:** `{md(d.get('check'))}`")
        out += [
            f"  - if {md(o.get('when'))}: {md(o.get('means'))}" for o in d.get("outcomes") or []
        ]
    out.append("")
    evidence, more = shown(list(f.get("evidence") or []), EVIDENCE_ROWS)
    for e in evidence:
        out += [
            md(e.get("where") or f"{e.get('file')}:{e.get('line')}", line_start=True),
            "",
            fenced(e.get("text")),
            "",
        ]
    if more:
        out += [f"{more} more evidence lines in the JSON report.", ""]
    return out


def _inputs(data: ReportData) -> list[str]:
    """One row per input: its own best cause, confidence, pods and nodes, and a link."""
    out = [
        f"## Inputs ({len(data.inputs)})",
        "",
        "| input | top cause | confidence | pods | nodes | unparsed | alternatives |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for i in data.inputs:
        # the link is built from escaped text, so it is not escaped again
        link = f"[{md(i['input'])}]({i['report']})" if i.get("report") else md(i["input"])
        others = [c for c in i.get("root_causes", []) if c != i.get("top_cause")]
        confidence = i.get("confidence")
        cells = (
            md(i.get("top_cause") or "no finding"),
            "" if confidence is None else md(confidence),
            md(len(i.get("pods") or [])),
            md(", ".join(i.get("nodes") or [])),
            md(i.get("unparsed_lines")),
            md(", ".join(others)),
        )
        out.append(f"| {link} | " + " | ".join(cells) + " |")
    return [*out, ""]


def render_markdown(data: ReportData, *, index_link: str | None = None) -> str:
    """The report as one Markdown document."""
    d = data.diagnosis
    stats = d.get("stats", {})
    out: list[str] = []
    if index_link:
        out += [f"[← all inputs]({index_link})", ""]
    out += [f"# {md(data.title)}", ""]
    if data.inputs:  # an index: each input on its own first, the merged view after
        out += [*_inputs(data), "## All inputs merged", ""]
    out.append(
        f"{len(d.get('findings', []))} root causes, {len(data.affected_pods)} affected pods, "
        f"{len(data.affected_nodes)} affected nodes; {stats.get('files', 0)} files, "
        f"{stats.get('lines', 0)} lines, {stats.get('events', 0)} events, "
        f"{stats.get('unparsed_lines', 0)} unparsed lines, "
        f"{stats.get('header_lines', 0)} header lines."
    )
    out.append("")
    if data.affected_nodes:
        out += [f"Affected nodes: {md(', '.join(data.affected_nodes))}", ""]
    for i, f in enumerate(d.get("findings", []), 1):
        out.append(f"{i}. **{md(f.get('root_cause'))}**: {md(headline(f, data))}")
    out += [""] if d.get("findings") else []
    out += [f"> {md(n, line_start=True)}" for n in data.notes] + ([""] if data.notes else [])
    out += ["## Root causes (ranked)" + (" across all inputs" if data.inputs else ""), ""]
    findings = d.get("findings", [])
    primary = primary_ranks(data)
    for i, f in enumerate(findings, 1):
        out += _finding(i, f, primary=i in primary)
    if not findings:
        out += ["No root cause was identified in these logs.", ""]
    out += ["## Per-pod timelines", ""]
    for s in data.pods:
        out += [
            f"### {md(s.pod)}",
            "",
            f"{s.total_events} events, {s.errors} errors; nodes: "
            f"{md(', '.join(s.nodes) or 'unknown')}" + (f"; from {md(s.input)}" if s.input else ""),
            "",
        ]
        for name, trows in s.tables.items():
            out += [f"**{md(name)}**", "", _table(list(trows[0]), [r.values() for r in trows]), ""]
        errors = [e for e in s.events if e.get("level") in ("error", "fatal")]
        if errors:
            rows_e = [
                (e.get("time"), e.get("source"), e.get("kind"), e.get("error") or e.get("message"))
                for e in errors
            ]
            out += [_table(["time", "source", "kind", "error"], rows_e), ""]
    templates = d.get("unclassified", [])
    out += ["## Unclassified error templates", ""]
    out += [
        _table(["count", "template"], [(t.get("count"), t.get("template")) for t in templates])
        if templates
        else "None.",
        "",
    ]
    out += ["## Parse coverage", ""]
    out.append(
        _table(
            ["file", "format", "lines", "events", "unparsed", "header", "skipped"],
            [
                (
                    c["file"] + (f"!{c['member']}" if c.get("member") else ""),
                    c.get("format"),
                    c["lines"],
                    c["events"],
                    c["issue_lines"],
                    c.get("header_lines", 0),
                    c.get("skipped"),
                )
                for c in data.coverage
            ],
        )
    )
    out += ["", f"## Parse issues ({len(data.issues)})", ""]
    out.append(
        _table(
            ["file", "line", "severity", "reason", "excerpt"],
            [
                (i["file"], i.get("line"), i["severity"], i["reason"], i.get("excerpt"))
                for i in data.issues[:ISSUE_ROWS]
            ],
        )
    )
    return "\n".join(out) + "\n"
