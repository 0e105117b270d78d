"""Run a rule against its own examples: every example must fire it, no counter-example may.

An example is a small log: one event per line. ``Add <if> [<ips>] from <net>`` lines become
multus AddedInterface events, a one-line CNI config or NAD JSON a ``config:cni`` /
``config:nad`` event, ``ls -l`` entry lines ``listing:entry`` events (the folder from a ``PATH:``
line before them), other lines error events, so that context rules (re-entry, nested delegates,
configs and listings as evidence) are exercised with the same code as real input.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from multus_forensics.classify.catalog import Catalog, Rule
from multus_forensics.classify.context import Context
from multus_forensics.classify.engine import rule_hits
from multus_forensics.formats.configs import _cni
from multus_forensics.formats.configs.cni_listing import ENTRY, entry_events_dir
from multus_forensics.model import Event

_ADD_PREFIX = "Add "


def example_events(text: str, file: str = "<example>") -> list[Event]:
    """Events for an example text, one per non-blank line (a JSON document stays one event)."""
    events = []
    lines = text.splitlines() or [text]
    folders = {i + 1: folder for i, folder, _ in entry_events_dir(lines)}
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        base = Event(message=line, file=file, line=n, raw=line)
        obj = _json_object(line)
        entry = ENTRY.match(line)
        if obj is not None and obj.get("kind") == "NetworkAttachmentDefinition":
            events.append(_cni.nad_event(base, obj, "example"))
        elif obj is not None and ("type" in obj or "plugins" in obj):
            fields = _cni.config_fields(obj)
            events.append(
                replace(base, kind="config:cni", message=_cni.describe(fields), fields=fields)
            )
        elif entry is not None:
            folder = folders[n]
            name = entry.group("name")
            fields_ = {
                "dir": folder,
                "name": name,
                "type": entry.group("type"),
                "target": entry.group("target"),
            }
            path = f"{folder}/{name}" if folder else name
            events.append(replace(base, kind="listing:entry", message=path, fields=fields_))
        elif line.lstrip().startswith(_ADD_PREFIX):
            events.append(
                Event(
                    kind="event:AddedInterface",
                    source="multus",
                    message=line,
                    file=file,
                    line=n,
                    raw=line,
                )
            )
        else:
            events.append(
                Event(
                    kind="log", level="error", message=line, error=line, file=file, line=n, raw=line
                )
            )
    return events


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def fires(rule: Rule, text: str) -> bool:
    """Whether ``rule`` yields a hit on the example log ``text``."""
    return bool(rule_hits(rule, Context.of(example_events(text))))


def check_examples(catalog: Catalog) -> list[str]:
    """Problems with the catalog's examples, one message per failing example (empty = all pass)."""
    problems = []
    for rule in catalog.rules:
        if not rule.examples:
            problems.append(f"{rule.source}: rule {rule.id}: no examples")
        for ex in rule.examples:
            if not fires(rule, ex):
                problems.append(f"{rule.source}: rule {rule.id}: example does not match: {ex!r}")
        for ex in rule.counter_examples:
            if fires(rule, ex):
                problems.append(f"{rule.source}: rule {rule.id}: counter-example matches: {ex!r}")
    return problems
