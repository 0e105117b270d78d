"""Render :class:`ReportData` as one self-contained HTML page.

Everything is inline (CSS in ``<style>``, plots as ``data:image/png;base64`` URIs), so the file
opens offline and can be attached to a ticket. Every log-derived string is escaped by
:mod:`multus_forensics.report.markup`; on top of that the page carries a Content-Security-Policy
that forbids scripts and any network access, so even an escaping bug could not run code.
"""

from __future__ import annotations

import base64
import os
from importlib import resources
from string import Template
from typing import Any, Final

from multus_forensics import __version__
from multus_forensics.report.data import (
    EVIDENCE_ROWS,
    FINDING_PODS,
    ISSUE_ROWS,
    PodSection,
    ReportData,
    headline,
    primary_ranks,
    shown,
    when,
)
from multus_forensics.report.markup import Markup, h, join, table, tag


def _resource(name: str) -> str:
    return resources.files("multus_forensics.report").joinpath(name).read_text(encoding="utf-8")


def _summary(data: ReportData) -> Markup:
    d = data.diagnosis
    stats = d.get("stats", {})
    counts = [
        ("root causes", len(d.get("findings", []))),
        ("affected pods", len(data.affected_pods)),
        ("affected nodes", len(data.affected_nodes)),
        ("files", stats.get("files", 0)),
        ("lines", stats.get("lines", 0)),
        ("events", stats.get("events", 0)),
        ("unparsed lines", stats.get("unparsed_lines", 0)),
        ("header lines", stats.get("header_lines", 0)),
    ]
    parts: list[Markup] = [
        tag(
            "p",
            *(tag("span", tag("strong", n), " ", label) for label, n in counts),
            class_="counts",
        )
    ]
    if data.affected_nodes:
        parts.append(tag("p", "Affected nodes: ", join(data.affected_nodes, ", ")))
    primary = primary_ranks(data)
    ranked = list(enumerate(d.get("findings", []), 1))
    with_pods = [(i, f) for i, f in ranked if f.get("pods")]
    without = [(i, f) for i, f in ranked if not f.get("pods")]
    for title, group in (("", with_pods), ("Causes that name no pod: ", without)):
        items = [
            tag(
                "li",
                tag("a", f.get("root_cause"), href=f"#cause-{i}"),
                " — ",
                headline(f, data),
                "" if i in primary else tag("span", " (alternative)", class_="muted"),
                class_=None if i in primary else "alternative",
                value=i,  # the rank, also where causes without pods are listed apart
            )
            for i, f in group
        ]
        if items:
            if title:
                parts.append(tag("p", tag("strong", title), class_="apart"))
            parts.append(tag("ol", *items, class_="headlines"))
    if data.notes:
        parts.append(tag("div", *(tag("p", n) for n in data.notes), class_="notes"))
    return join(parts)


def _finding(rank: int, f: dict[str, Any], nodes: list[str], *, primary: bool = True) -> Markup:
    all_pods = [str(p) for p in f.get("pods") or []]
    pods, more_pods = shown(all_pods, FINDING_PODS)
    facts = [
        ("rule", f.get("rule")),
        ("confidence", f.get("confidence")),
        ("why", "; ".join(str(r) for r in f.get("reasons") or [])),
        ("occurrences", f.get("count")),
        ("first seen", when(f.get("first_seen"))),
        ("last seen", when(f.get("last_seen"))),
        ("pods", ", ".join(pods) + (f" and {more_pods} more" if more_pods else "")),
        ("nodes", ", ".join(nodes)),
    ]
    all_evidence = f.get("evidence") or []
    evidence, more = shown(all_evidence, EVIDENCE_ROWS)
    ev = [_evidence_item(e) for e in evidence]
    if more:
        ev.append(tag("p", f"{more} more evidence lines in the JSON report.", class_="muted"))
    return tag(
        "section",
        tag(
            "h3",
            f"{rank}. ",
            "" if primary else tag("span", "alternative", class_="badge"),
            tag("span", f.get("root_cause"), class_="cause"),
            " ",
            f.get("title"),
        ),
        tag("p", f.get("summary")),
        table(["", ""], [(k, v) for k, v in facts if v not in (None, "")], class_="facts"),
        _remediation(f.get("remediation")),
        _discriminators(f.get("discriminators")),
        tag("details", tag("summary", f"Evidence ({len(all_evidence)} lines)"), *ev) if ev else "",
        class_="finding" if primary else "finding alternative",
        id=f"cause-{rank}",
    )


def _remediation(value: object) -> Markup:
    """The classifier gives a list of steps (or one string)."""
    steps: list[object] = (
        [value]
        if isinstance(value, str)
        else list(value)
        if isinstance(value, list | tuple)
        else []
    )
    if not steps:
        return Markup("")
    body = tag("p", tag("strong", "Remediation")) + tag("ol", *(tag("li", s) for s in steps))
    return tag("div", Markup(body), class_="remediation")


def _discriminators(value: object) -> Markup:
    """The check that tells the finding from a look-alike, and what each outcome means."""
    items = [d for d in value if isinstance(d, dict)] if isinstance(value, list) else []
    parts = [
        tag(
            "p",
            tag("strong", "To tell it from ", d.get("against"), ", run: "),
            tag("code", d.get("check")),
        )
        + tag(
            "ul",
            *(
                tag("li", "if ", o.get("when"), ": ", o.get("means"))
                for o in d.get("outcomes") or []
                if isinstance(o, dict)
            ),
        )
        for d in items
    ]
    return tag("div", Markup("".join(parts)), class_="discriminators") if parts else Markup("")


def _findings(data: ReportData) -> Markup:
    """Ranked findings that name pods, then apart those that name none (node, config or
    cluster level); alternatives to the best are marked and drawn smaller."""
    findings = data.diagnosis.get("findings", [])
    if not findings:
        return tag("p", "No root cause was identified in these logs.", class_="muted")
    primary = primary_ranks(data)

    def one(i: int, f: dict[str, Any]) -> Markup:
        nodes = data.cause_nodes.get(str(f.get("root_cause")), [])
        return _finding(i, f, nodes, primary=i in primary)

    ranked = list(enumerate(findings, 1))
    parts = [one(i, f) for i, f in ranked if f.get("pods")]
    without = [one(i, f) for i, f in ranked if not f.get("pods")]
    if without:
        parts.append(tag("h3", "Causes that name no pod", class_="apart"))
        parts.extend(without)
    return join(parts)


def _inputs(data: ReportData) -> Markup:
    """One row per input, before anything merged: its own best cause and where it struck."""
    rows = []
    for item in data.inputs:
        link = tag("a", item["input"], href=item["report"]) if item.get("report") else item["input"]
        others = [c for c in item.get("root_causes", []) if c != item.get("top_cause")]
        cause = (
            tag("span", item["top_cause"], class_="cause")
            if item.get("top_cause")
            else tag("span", "no finding", class_="muted")
        )
        rows.append(
            (
                link,
                cause,
                item.get("confidence") if item.get("confidence") is not None else "",
                len(item.get("pods") or []),
                ", ".join(item.get("nodes") or []),
                item.get("events"),
                item.get("unparsed_lines"),
                tag("span", ", ".join(others), class_="muted"),
            )
        )
    headers = [
        "input", "top cause", "confidence", "pods", "nodes", "events", "unparsed", "alternatives"
    ]  # fmt: skip
    return table(headers, rows, class_="inputs", numeric=(2, 3, 5, 6))


#: an event row written by one format, as ``table`` writes its cells (each ``<td>``) and
#: ``tag`` the level, text and place inside them: 50 sections of 200 rows are most of a page
_EVENT_ROW: Final = (
    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
    '<td><span class="{}">{}</span></td><td><div class="log">{}</div></td>'
    '<td><span title="{}">{}:{}</span></td></tr>'
)
_EVENT_HEADERS: Final = (
    "time (UTC)", "node", "source", "kind", "level", "message / error", "where"
)  # fmt: skip


def _event_rows(section: PodSection) -> Markup:
    """The section's events as a table; a file's place (escaped path, base name) is made once
    for all its rows, not once per row."""
    rows = []
    places: dict[tuple[str, str | None], tuple[str, str]] = {}
    for e in section.events:
        text = e.get("error") or e.get("message")
        level = e.get("level")
        file, member = e.get("file") or "", e.get("member")
        place = places.get((file, member))
        if place is None:
            place = places[(file, member)] = _place(file, member)
        cells = (
            h(when(e.get("time"))), h(e.get("node")), h(e.get("source")), h(e.get("kind")),
            h(f"lvl-{level}"), h(level), h(text), place[0], place[1], h(str(e.get("line"))),
        )  # fmt: skip
        rows.append(_EVENT_ROW.format(*cells))
    head = tag("thead", tag("tr", *(tag("th", c) for c in _EVENT_HEADERS)))
    return tag("table", head, Markup("<tbody>" + "".join(rows) + "</tbody>"), class_="events")


def _place(file: str, member: str | None) -> tuple[Markup, Markup]:
    """(the full path, ``file!member`` inside archives; the archive member's or file's base
    name), escaped: the ``title`` and text of an event's place."""
    full = file + (f"!{member}" if member else "")
    return h(full), h(os.path.basename(member or file))


def _rows_table(rows: list[dict[str, Any]]) -> Markup:
    headers = list(rows[0]) if rows else []
    return table(headers, [[when(v) if v is not None else "" for v in r.values()] for r in rows])


def _pod(section: PodSection, plots: list[Markup]) -> Markup:
    more = section.total_events - len(section.events)
    head = f"{section.pod} — {section.total_events} events, {section.errors} errors"
    facts = ["Nodes: ", ", ".join(section.nodes) or "unknown"]
    if section.input:
        facts += ["; from ", section.input]
    parts: list[Markup] = [tag("p", *facts)]
    parts.extend(plots)
    for name, rows in section.tables.items():
        parts.append(join([tag("h3", name.capitalize()), _rows_table(rows)]))
    parts.append(_event_rows(section))
    if more > 0:
        parts.append(
            tag("p", f"{more} more events not shown (see the JSON report).", class_="muted")
        )
    return tag("details", tag("summary", head), *parts, open=section.errors > 0)


def _evidence_item(e: dict[str, Any]) -> Markup:
    """Where the record is, the window around its decisive match, the whole record one click away."""
    where = e.get("where") or f"{e.get('file')}:{e.get('line')}"
    full = e.get("full_text")
    parts = [tag("div", where, class_="muted"), tag("pre", e.get("text"))]
    if full and full != e.get("text"):
        parts.append(tag("details", tag("summary", "whole record"), tag("pre", full)))
    return join(parts)


def _figure(title: str, png: bytes) -> Markup:
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return tag("figure", tag("img", src=uri, alt=title), tag("figcaption", title))


def _coverage(data: ReportData) -> Markup:
    rows = [
        (
            c["file"] + (f"!{c['member']}" if c.get("member") else ""),
            c.get("format") or "",
            c["lines"],
            c["events"],
            c["issue_lines"],
            c["blank_lines"],
            c.get("header_lines", 0),
            c.get("skipped") or "",
        )
        for c in data.coverage
    ]
    headers = ["file", "format", "lines", "events", "unparsed", "blank", "header", "skipped"]
    return table(headers, rows, numeric=range(2, 7))


def _issues(data: ReportData) -> Markup:
    listed = data.issues[:ISSUE_ROWS]
    rows = [
        (
            i["file"] + (f"!{i['member']}" if i.get("member") else ""),
            i.get("line") or "",
            i["severity"],
            i["reason"],
            tag("div", i.get("excerpt"), class_="log"),
        )
        for i in listed
    ]
    out = table(["file", "line", "severity", "reason", "excerpt"], rows, numeric=(1,))
    if len(data.issues) > len(listed):
        out = join(
            [out, tag("p", f"{len(data.issues) - len(listed)} more issues in the JSON report.")]
        )
    return out


def render_html(data: ReportData, *, index_link: str | None = None) -> str:
    """The whole page; ``index_link`` (relative) points a per-input page back to the index."""
    d = data.diagnosis
    pod_plots: dict[tuple[str | None, str | None], list[Markup]] = {}
    for p in data.plots:
        key = (p.pod, p.input) if p.pod is not None else (None, None)
        pod_plots.setdefault(key, []).append(_figure(p.title, p.png))
    body: list[Markup] = []
    if index_link:
        body.append(tag("p", tag("a", "← all inputs", href=index_link)))
    body.append(tag("h1", data.title))
    if data.inputs:  # an index: each input on its own first, the merged view after
        body.append(join([tag("h2", f"Inputs ({len(data.inputs)})"), _inputs(data)]))
        body.append(tag("h2", "All inputs merged"))
    body.append(_summary(data))
    ranked = "Root causes (ranked)" + (" across all inputs" if data.inputs else "")
    body.append(join([tag("h2", ranked), _findings(data)]))
    if pod_plots.get((None, None)):
        body.append(join([tag("h2", "Plots"), *pod_plots[(None, None)]]))
    pods = data.pods
    body.append(
        join(
            [
                tag("h2", "Per-pod timelines"),
                join(_pod(s, pod_plots.get((s.pod, s.input), [])) for s in pods)
                if pods
                else tag("p", "No event names a pod.", class_="muted"),
            ]
        )
    )
    templates = d.get("unclassified", [])
    body.append(
        join(
            [
                tag("h2", "Unclassified error templates"),
                table(
                    ["count", "template", "example"],
                    [
                        (
                            t.get("count"),
                            tag("div", t.get("template"), class_="log"),
                            tag("div", t.get("example"), class_="log"),
                        )
                        for t in templates
                    ],
                    numeric=(0,),
                )
                if templates
                else tag("p", "None.", class_="muted"),
            ]
        )
    )
    body.append(join([tag("h2", "Parse coverage"), _coverage(data)]))
    body.append(join([tag("h2", f"Parse issues ({len(data.issues)})"), _issues(data)]))
    page = Template(_resource("page.html"))
    return page.substitute(
        version=h(__version__), title=h(data.title), css=_resource("style.css"), body=join(body)
    )
