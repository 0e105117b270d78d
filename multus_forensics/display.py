"""How the public result objects show themselves: a one-line ``repr`` and HTML for notebooks.

Jupyter calls ``_repr_html_`` on the last value of a cell; each class delegates here (imported on
first display, so the classes stay light). Everything uses the objects' public API only, and
every text from a log is HTML-escaped. Long lists are cut with a visible "… N more".
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from multus_forensics.chain import ErrorChain
    from multus_forensics.classify.findings import Diagnosis, Finding
    from multus_forensics.eventlog import EventLog
    from multus_forensics.timeline import Timelines

#: rows shown in an HTML table before "… N more"
MAX_ROWS: Final = 20
#: attempt columns shown per pod in the timelines table
MAX_ATTEMPTS: Final = 12
_STYLE: Final = (
    "<style>.mf td,.mf th{text-align:left;vertical-align:top;padding:2px 8px}"
    ".mf .alt{color:#666;font-size:90%}.mf .failed{background:#fde2e1}"
    ".mf .ok{background:#e3f4e1}.mf ul{margin:2px 0 2px 1.2em;padding:0}"
    ".mf code{white-space:pre-wrap;word-break:break-word}</style>"
)


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S") if t is not None else "?"


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None:
        return "no timestamps"
    if last is None or first.date() == last.date():
        return f"{_when(first)} .. {_when(last)[11:]} UTC"
    return f"{_when(first)} .. {_when(last)} UTC"


def _more(shown: int, total: int, cols: int) -> str:
    if total <= shown:
        return ""
    return f'<tr><td colspan="{cols}" class="alt">… {total - shown} more</td></tr>'


def _box(kind: str, title: str, body: str) -> str:
    """One object's HTML; ``data-object`` names its class (what a notebook test looks for)."""
    return f'<div class="mf" data-object="{kind}">{_STYLE}<b>{escape(title)}</b>{body}</div>'


def _cut(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- EventLog ------------------------------------------------------------------------------


def _log_summary(log: EventLog) -> tuple[str, Counter[str], str, int, int]:
    s = log.stats
    formats = Counter(f.format for f in s.files if f.format)
    first = last = None
    if log.frame.height and "time" in log.frame.columns:
        times = log.frame["time"].drop_nulls()
        if len(times):
            first, last = times.min(), times.max()
    span = _span(first, last)  # type: ignore[arg-type]
    errors = sum(1 for i in log.issues if i.severity == "error")
    head = f"{s.events:,} events from {len(s.files)} files, {s.lines:,} lines"
    return head, formats, span, len(log.issues), errors


def eventlog_repr(log: EventLog) -> str:
    head, formats, span, issues, errors = _log_summary(log)
    fmts = ", ".join(f"{k} {v}" for k, v in formats.most_common()) or "no format"
    return f"<EventLog {head} ({fmts}); {span}; {issues} issues ({errors} errors)>"


def eventlog_html(log: EventLog) -> str:
    head, _, span, issues, errors = _log_summary(log)
    rows = []
    by_format: dict[str, list[int]] = {}
    for f in log.stats.files:
        key = f.format or f"skipped: {f.skipped or 'empty'}"
        acc = by_format.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate((1, f.lines, f.events, f.issue_lines)):
            acc[i] += value
    for name, (files, lines, events, unparsed) in sorted(by_format.items()):
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{files}</td><td>{lines:,}</td>"
            f"<td>{events:,}</td><td>{unparsed:,}</td></tr>"
        )
    table = (
        "<table><tr><th>format</th><th>files</th><th>lines</th><th>events</th>"
        f"<th>unparsed lines</th></tr>{''.join(rows)}</table>"
    )
    shown = log.issues[:5]
    items = "".join(f"<li><code>{escape(_cut(str(i), 200))}</code></li>" for i in shown)
    if len(log.issues) > len(shown):
        items += f'<li class="alt">… {len(log.issues) - len(shown)} more (.issues)</li>'
    body = (
        f"<div>{escape(head)}; {escape(span)}</div>{table}"
        f"<div>{issues} issues ({errors} errors: lines in no event)</div>"
        + (f"<ul>{items}</ul>" if items else "")
    )
    return _box("EventLog", "EventLog", body)


# -- Timelines -----------------------------------------------------------------------------


def timelines_repr(tl: Timelines) -> str:
    attempts = tl.attempts()
    failed = int((attempts["outcome"] == "failed").sum()) if attempts.height else 0
    return f"<Timelines {len(tl)} pods, {attempts.height} sandbox attempts ({failed} failed)>"


def timelines_html(tl: Timelines) -> str:
    """Pods × attempts: one row per pod, one cell per attempt with its outcome and start."""
    attempts = tl.attempts()
    pods = tl.pods()
    by_pod: dict[tuple[Any, Any, Any], list[dict[str, Any]]] = {}
    for row in attempts.iter_rows(named=True):
        by_pod.setdefault((row["namespace"], row["pod"], row["pod_uid"]), []).append(row)
    width = min(MAX_ATTEMPTS, max((len(v) for v in by_pod.values()), default=0))
    head = "".join(f"<th>#{i}</th>" for i in range(1, width + 1))
    rows = []
    for pod in pods.head(MAX_ROWS).iter_rows(named=True):
        key = (pod["namespace"], pod["pod"], pod["pod_uid"])
        label = f"{pod['namespace']}/{pod['pod']}" if pod["namespace"] else str(pod["pod"])
        cells = []
        runs = by_pod.get(key, [])
        for a in runs[:width]:
            css = "failed" if a["outcome"] == "failed" else "ok" if a["outcome"] == "ready" else ""
            tip = escape(_cut(a["error_leaf"] or "", 300), quote=True)
            start = a["start"].strftime("%H:%M:%S") if a["start"] is not None else "?"
            cells.append(f'<td class="{css}" title="{tip}">{escape(a["outcome"])}<br>{start}</td>')
        cells.extend("<td></td>" for _ in range(width - len(runs[:width])))
        extra = f" (+{len(runs) - width})" if len(runs) > width else ""
        rows.append(
            f"<tr><td>{escape(label)}{extra}</td><td>{escape(pod['nodes'] or '')}</td>"
            f"{''.join(cells)}</tr>"
        )
    more = _more(min(MAX_ROWS, pods.height), pods.height, width + 2)
    body = (
        f"<div>{escape(timelines_repr(tl)[1:-1])}</div><table><tr><th>pod</th><th>nodes</th>"
        f"{head}</tr>{''.join(rows)}{more}</table>"
    )
    return _box("Timelines", "Timelines", body)


# -- Finding / Diagnosis -------------------------------------------------------------------


def finding_repr(f: Finding) -> str:
    return (
        f"<Finding {f.root_cause} confidence {f.confidence:.2f} [{f.severity}] "
        f"{len(f.pods)} pods, seen {f.count}x>"
    )


def _discriminators(f: Finding) -> list[str]:
    """``vs <cause>: <check> (if <outcome>: <meaning>; …)`` per discriminator, when the
    finding has any (the check that tells it from a look-alike cause)."""
    value = getattr(f, "discriminators", ())
    out = []
    for d in value if isinstance(value, list | tuple) else ():
        outcomes = "; ".join(f"if {w}: {m}" for w, m in getattr(d, "outcomes", ()))
        text = f"vs {getattr(d, 'against', '?')}: {getattr(d, 'check', d)}"
        out.append(text + (f" ({outcomes})" if outcomes else ""))
    return out


def finding_html(f: Finding) -> str:
    parts = [
        f"<div>confidence {f.confidence:.2f} · {escape(f.severity)} · seen {f.count}x · "
        f"rule <code>{escape(f.rule)}</code></div>",
        f"<div>{escape(f.summary)}</div>",
    ]
    if f.reasons:
        parts.append(f"<div><i>why:</i> {escape('; '.join(f.reasons))}</div>")
    disc = _discriminators(f)
    if disc:
        parts.append(f"<div><i>discriminators:</i> {escape('; '.join(disc))}</div>")
    if f.pods:
        parts.append(f"<div><i>pods:</i> {escape(', '.join(f.pods))}</div>")
    if f.remediation:
        steps = "".join(f"<li>{escape(s)}</li>" for s in f.remediation)
        parts.append(f"<div><i>remediation:</i><ul>{steps}</ul></div>")
    if f.evidence:
        ev = "".join(
            f"<li><code>{escape(e.file)}:{e.line}</code> ({escape(e.claim)}): "
            f"<code>{escape(_cut(e.text, 200))}</code></li>"
            for e in f.evidence[:5]
        )
        if len(f.evidence) > 5:
            ev += f'<li class="alt">… {len(f.evidence) - 5} more</li>'
        parts.append(f"<div><i>evidence:</i><ul>{ev}</ul></div>")
    body = "".join(parts)
    return _box("Finding", f"{f.root_cause}: {f.title}", body)


def diagnosis_repr(d: Diagnosis) -> str:
    if not d.findings:
        return f"<Diagnosis no finding; {len(d.unclassified)} unclassified error templates>"
    best = d.findings[0]
    return (
        f"<Diagnosis {len(d.findings)} findings, best {best.root_cause} "
        f"({best.confidence:.2f}, {len(best.pods)} pods); "
        f"{len(d.unclassified)} unclassified error templates>"
    )


def diagnosis_html(d: Diagnosis) -> str:
    """Ranked findings: the best in full, alternatives smaller and marked as such."""
    if not d.findings:
        body = "<div>No finding: no rule matched these logs.</div>"
    else:
        rows = []
        for n, f in enumerate(d.findings[:MAX_ROWS], start=1):
            css = "" if n == 1 else ' class="alt"'
            label = "best hypothesis" if n == 1 else "alternative"
            rem = "".join(f"<li>{escape(s)}</li>" for s in f.remediation)
            disc = _discriminators(f)
            why = "; ".join(f.reasons) + (f" — discriminators: {'; '.join(disc)}" if disc else "")
            rows.append(
                f"<tr{css}><td>{n}</td><td><b>{escape(f.root_cause)}</b><br>{label}</td>"
                f"<td>{f.confidence:.2f}</td><td>{escape(f.severity)}</td>"
                f"<td>{escape(', '.join(f.pods) or '—')}</td>"
                f"<td>{escape(why)}</td><td><ul>{rem}</ul></td></tr>"
            )
        body = (
            "<table><tr><th>#</th><th>root cause</th><th>confidence</th><th>severity</th>"
            "<th>pods</th><th>why</th><th>remediation</th></tr>"
            f"{''.join(rows)}{_more(min(MAX_ROWS, len(d.findings)), len(d.findings), 7)}</table>"
        )
    if d.unclassified:
        items = "".join(
            f"<li>{u.count}x <code>{escape(_cut(u.template, 200))}</code></li>"
            for u in d.unclassified[:5]
        )
        body += f"<div>Errors no rule explains:<ul>{items}</ul></div>"
    return _box("Diagnosis", diagnosis_repr(d)[1:-1], body)


# -- ErrorChain ----------------------------------------------------------------------------


def chain_repr(chain: ErrorChain) -> str:
    kinds = " > ".join(layer.kind for layer in chain.layers)
    extra = f", {len(chain.aggregate)} aggregated errors" if chain.aggregate else ""
    return f"<ErrorChain {len(chain.layers)} layers{extra}: {kinds}: {_cut(chain.leaf, 80)!r}>"


def _chain_list(chain: ErrorChain) -> str:
    """The layers as nested lists, outermost first: each layer indents the next."""
    html = ""
    for layer in reversed(chain.layers):
        names = ", ".join(f"{k}={v}" for k, v in layer.fields.items() if k != "stdin_data")
        meta = f' <span class="alt">{escape(names)}</span>' if names else ""
        html = (
            f"<ul><li><b>{escape(layer.kind)}</b> <code>{escape(_cut(layer.text, 300))}</code>"
            f"{meta}{html}</li></ul>"
        )
    for member in chain.aggregate:
        html += f"<div class='alt'>aggregated:</div>{_chain_list(member)}"
    return html


def chain_html(chain: ErrorChain) -> str:
    note = " (truncated in the log)" if chain.truncated else ""
    return _box("ErrorChain", f"ErrorChain: {len(chain.layers)} layers{note}", _chain_list(chain))
