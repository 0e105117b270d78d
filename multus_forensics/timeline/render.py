"""A readable per-pod story: attempt blocks with add order, innermost error and anomalies.

Plain text for terminals and tickets. Each attempt shows where its evidence came from, so a
reader can tell "add order unknown" (no source for it in these logs) from "nothing was added".
"""

from __future__ import annotations

from datetime import datetime

from multus_forensics.chain import ErrorChain
from multus_forensics.timeline.attempts import Attempt
from multus_forensics.timeline.frames import PodTimeline, Timelines

_NO_ORDER = (
    "add order: unknown (no Multus Add lines, AddedInterface events or network-status "
    "for this attempt)"
)


def _time(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if when else "?"


def _path(chain: ErrorChain) -> str:
    """``kubelet > cri(Unknown) > runtime(containerd) > libcni(multus) > …`` without the leaf."""
    parts = []
    for layer in chain.layers[:-1]:
        f = layer.fields
        detail = (
            f.get("function")
            or f.get("runtime")
            or f.get("plugin_type")
            or f.get("network")
            or f.get("grpc_code")
        )
        parts.append(f"{layer.kind}({detail})" if detail else layer.kind)
    return " > ".join(parts)


def _attempt_lines(t: PodTimeline, a: Attempt, nxt: Attempt | None) -> list[str]:
    start, end = a.start, a.end
    dur = f" ({(end - start).total_seconds():.1f}s)" if start and end else ""
    outcome = a.outcome.upper() + (" (inferred)" if a.outcome_inferred else "")
    sandbox = ", ".join(s[:12] for s in a.sandbox_ids) or "no sandbox id seen"
    lines = [
        f"  attempt {a.index}  {_time(start)} → {_time(end)}{dur}  {outcome}  sandbox {sandbox}"
    ]
    rows = t.rows.get(a.index, [])
    if rows:
        lines.append(f"    add order ({rows[0].source}):")
        for r in rows:
            lines.append(
                f"      {r.position}. {r.interface or '?':<6} {r.ips or '-':<20} from {r.network or '?'}"
            )
    else:
        lines.append(f"    {_NO_ORDER}")
    err = a.error
    if err is not None:
        cut = " [truncated]" if err.truncated else ""
        lines.append(f"    error: {err.tail or err.leaf}{cut}")
        if len(err.layers) > 1:
            lines.append(f"      via {_path(err)}")
        reports = sum(len(f.reports) for f in a.failures)
        if reports > 1:
            lines.append(f"      reported {reports} times ({len(a.failures)} distinct)")
    for x in t.anomalies:
        if x.attempt == a.index:
            lines.append(f"    ! {x.name}: {x.detail}")
    if nxt is not None and end and nxt.start:
        lines.append(f"    next attempt after {(nxt.start - end).total_seconds():.1f}s")
    return lines


def render_pod(t: PodTimeline) -> str:
    nodes = t.nodes
    head = f"{t.label}  uid {t.key[2] or 'unknown'}" + (
        f"  node {', '.join(nodes)}" if nodes else ""
    )
    lines = [head]
    if t.requested:
        lines.append(f"  requested networks: {', '.join(t.requested)}")
    counts: dict[str, int] = {}
    for a in t.attempts:
        counts[a.outcome] = counts.get(a.outcome, 0) + 1
    summary = ", ".join(f"{n} {o}" for o, n in counts.items())
    noun = "attempt" if len(t.attempts) == 1 else "attempts"
    lines.append(f"  {len(t.attempts)} {noun}" + (f": {summary}" if summary else ""))
    for i, a in enumerate(t.attempts):
        nxt = t.attempts[i + 1] if i + 1 < len(t.attempts) else None
        lines.extend(_attempt_lines(t, a, nxt))
    for x in t.anomalies:
        if x.attempt is None:
            lines.append(f"  ! {x.name}: {x.detail}")
    untimed = t.untimed
    if untimed:
        lines.append(f"  {untimed} events without a time (kept, listed last in events())")
    return "\n".join(lines)


def render(timelines: Timelines, pod: str | None = None) -> str:
    """The story of every selected pod, separated by blank lines.

    Pods that only appear in housekeeping lines (no sandbox attempt) are listed by name at the
    end rather than given a block each, unless asked for with ``pod``.
    """
    picked = timelines.select(pod)
    shown = [t for t in picked if t.attempts or pod is not None]
    quiet = [t.label for t in picked if not (t.attempts or pod is not None)]
    blocks = [render_pod(t) for t in shown]
    if quiet:
        blocks.append(
            f"{len(quiet)} more pods with records but no sandbox attempt: {', '.join(quiet)}"
        )
    return "\n\n".join(blocks) + "\n"
