"""Evidence items: which record, where exactly, and the part of it that decided.

A record can be kilobytes long (a kubelet ``err=`` that nests four CNI layers); what shows
*why* is the decisive match, usually in the leaf error near the end. The shown text is a
window around the rule's match, else around the leaf error, and the whole record stays one
click (HTML) or one flag (``--full-evidence``) away.
"""

from __future__ import annotations

from multus_forensics.classify.context import EventView
from multus_forensics.classify.findings import WINDOW_CHARS, Evidence, anchored, window


def evidence_of(view: EventView, claim: str, matched: str | None) -> Evidence:
    """The evidence item for ``view``; ``matched`` is the rule's match in it (None: context)."""
    event = view.event
    full = event.raw or event.message
    anchors = [matched] if matched else []
    # the leaf (an unwrapped chain) is read only when the match cannot place the window
    if len(full) > WINDOW_CHARS and not anchored(full, anchors) and view.leaf:
        anchors.append(view.leaf)
    return Evidence(event.file, event.line, window(full, anchors), claim, event.member, full)
