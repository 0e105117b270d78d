"""The signature inventory (upstream error texts at release tags) against the rule catalog.

Every entry of ``multus_forensics/rules/signatures.jsonl`` either maps to a label, and then a rule
of that label must fire on the text (format verbs filled with realistic values), or is marked
``generic`` with the reason it names no cause. The inventory is rebuilt from the upstream
repositories by ``scripts/build_inventory.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import regex

from multus_forensics.classify import LABELS, load_catalog
from multus_forensics.classify.examples import fires

INVENTORY = (
    Path(__file__).resolve().parent.parent / "multus_forensics" / "rules" / "signatures.jsonl"
)
_VERB = regex.compile(r"%[-+# 0-9.]*[vswqdTx]")
#: how the runtime and multus wrap a delegate's error on ADD, DEL and CHECK (each is tried)
WRAPPERS = (
    "{}",
    'failed to setup network for sandbox "4f2a": plugin type="multus" name="multus-cni-network" '
    "failed (add): [lab/web-1/2f0c5a3e-1b1d-4c59-9f43-7d9c0b2a6e11:macvlan-conf]: error adding "
    'container to network "macvlan-conf": {}',
    'failed to destroy network for sandbox "4f2a": plugin type="multus" name="multus-cni-network" '
    "failed (delete): Multus: [lab/web-1]: {}",
    'delegateCheck: error invoking ConflistCheck - "lan": conflistCheck: error in getting result '
    "from CheckNetworkList: {}",
)


def _entries() -> list[dict[str, Any]]:
    return [json.loads(line) for line in INVENTORY.read_text(encoding="utf-8").splitlines()]


ENTRIES = _entries()


def sample(entry: dict[str, Any]) -> str:
    """The entry's text with format verbs filled in; the last one takes the entry's ``fill``."""
    text = entry["text"]
    verbs = list(_VERB.finditer(text))
    out, pos = [], 0
    for n, m in enumerate(verbs):
        out.append(text[pos : m.start()])
        verb = m.group()[-1]
        if n == len(verbs) - 1 and entry.get("fill"):
            out.append(entry["fill"])
        elif verb == "q":
            out.append('"net1"')
        elif verb in "dx":
            out.append("1")
        else:
            out.append("net1")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def test_inventory_covers_every_listed_upstream_project() -> None:
    repos = Counter(e["repo"] for e in ENTRIES)
    for repo in (
        "k8snetworkplumbingwg/multus-cni",
        "k8snetworkplumbingwg/whereabouts",
        "containernetworking/plugins",
        "containernetworking/cni",
        "k8snetworkplumbingwg/sriov-cni",
        "ovn-org/ovn-kubernetes",
        "containerd/containerd",
        "cri-o/cri-o",
    ):
        assert repos[repo] > 0, repo
    multus_versions = {
        v for e in ENTRIES if e["repo"].endswith("multus-cni") for v in e["versions"]
    }
    assert {"v3.4", "v4.0.2"} <= multus_versions


def test_every_entry_is_mapped_to_a_label_or_marked_generic_with_a_reason() -> None:
    unmapped = [e["text"] for e in ENTRIES if e["label"] not in (*LABELS, "generic")]
    no_reason = [e["text"] for e in ENTRIES if e["label"] == "generic" and not e["reason"]]
    assert unmapped == []
    assert no_reason == []


def test_every_mapped_entry_fires_a_rule_of_its_label(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = load_catalog()
    by_label: dict[str, list[Any]] = {}
    for rule in catalog.rules:
        by_label.setdefault(rule.root_cause, []).append(rule)
    missed = []
    mapped = [e for e in ENTRIES if e["label"] != "generic"]
    for entry in mapped:
        text = sample(entry)
        rules = by_label.get(entry["label"], [])
        if not any(fires(rule, w.format(text)) for rule in rules for w in WRAPPERS):
            missed.append((entry["label"], entry["repo"], text))
        # texts of the DEL and CHECK paths fire inside those paths' wrappers too
        elif entry["op"] in ("del", "check") and not any(
            fires(rule, WRAPPERS[2 if entry["op"] == "del" else 3].format(text)) for rule in rules
        ):
            missed.append((entry["label"], entry["op"], text))
    with capsys.disabled():
        print(
            f"\nsignature inventory: {len(ENTRIES)} entries, {len(mapped)} mapped to a label "
            f"({len(mapped) / len(ENTRIES):.1%}), {len(ENTRIES) - len(mapped)} generic, "
            f"{len(mapped) - len(missed)}/{len(mapped)} mapped entries matched by a rule of their label"
        )
    assert missed == []


def test_sample_fills_the_last_verb_with_the_entry_fill() -> None:
    entry = {"text": "failed to lookup master %q: %v", "fill": "Link not found"}
    assert sample(entry) == 'failed to lookup master "net1": Link not found'


def test_rules_written_from_upstream_cite_a_file_at_a_tag_and_its_versions() -> None:
    cite = regex.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/blob/v[\d.]+/\S+ \(.*v[\d.]+.*\)$")
    loose = [
        (rule.id, ref)
        for rule in load_catalog().rules
        if rule.source in ("rules/upstream.toml", "rules/configs.toml")
        for ref in rule.references
        if not cite.match(ref)
    ]
    assert loose == []
