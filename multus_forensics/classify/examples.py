"""Run a rule against its own examples: every example must fire it, no counter-example may.

An example is a small log: one event per line. ``Add <if> [<ips>] from <net>`` lines become
multus AddedInterface events, other lines error events, so that context rules (re-entry, nested
delegates) are exercised with the same code as real input.
"""

from __future__ import annotations

from multus_forensics.classify.catalog import Catalog, Rule
from multus_forensics.classify.context import Context
from multus_forensics.classify.engine import rule_hits
from multus_forensics.model import Event

_ADD_PREFIX = "Add "


def example_events(text: str, file: str = "<example>") -> list[Event]:
    """Events for an example text, one per non-blank line (a JSON document stays one event)."""
    events = []
    for n, line in enumerate(text.splitlines() or [text], start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith(_ADD_PREFIX):
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
