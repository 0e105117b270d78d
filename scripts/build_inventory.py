#!/usr/bin/env python3
"""Rebuild the signature inventory (``multus_forensics/rules/signatures.jsonl``) from upstream source.

The inventory lists every error text that the CNI side of Multus and the projects around it can
emit on ADD, DEL and CHECK, read from their Go source at release tags: the file, the versions
where the text exists, the operation its function serves, and the root-cause label it maps to or
``generic`` with the reason it says nothing specific. ``tests/test_signature_inventory.py`` fails
when a labelled entry is not matched by a rule of that label.

Usage: ``scripts/build_inventory.py MIRRORS_DIR`` where ``MIRRORS_DIR`` holds bare git clones
named ``owner+name/repo`` (for example ``k8snetworkplumbingwg+multus-cni/repo``). Labels come from
``scripts/inventory_labels.py`` (ordered regexes on the text); an entry it does not cover is
written with an empty label, which the test reports. Existing labels are never read back: the
mapping is the single place where a text's meaning is decided.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "multus_forensics" / "rules" / "signatures.jsonl"


@dataclass(frozen=True)
class Source:
    repo: str  # owner/name
    tags: tuple[str, ...]
    include: tuple[str, ...]  # fnmatch globs of files to read
    exclude: tuple[str, ...] = (
        "*_test.go",
        "*/vendor/*",
        "vendor/*",
        "*/mocks/*",
        "*/e2e/*",
        "*/test/*",
    )
    #: only texts matching this (for large runtimes: their CNI call sites only)
    only: str | None = None


SOURCES: tuple[Source, ...] = (
    Source(
        "k8snetworkplumbingwg/multus-cni",
        (
            "v3.4",
            "v3.4.2",
            "v3.6",
            "v3.7.2",
            "v3.8",
            "v3.9.3",
            "v4.0.2",
            "v4.1.4",
            "v4.2.4",
            "v4.3.0",
        ),
        (
            "multus/*.go",
            "k8sclient/*.go",
            "types/*.go",
            "checkpoint/*.go",
            "pkg/multus/*.go",
            "pkg/k8sclient/*.go",
            "pkg/types/*.go",
            "pkg/checkpoint/*.go",
            "pkg/kubeletclient/*.go",
            "pkg/server/*.go",
            "pkg/server/api/*.go",
            "cmd/*.go",
            "cmd/*/*.go",
            "pkg/server/config/*.go",
            "pkg/netutils/*.go",
        ),
    ),
    Source(
        "containernetworking/cni",
        ("v0.7.1", "v0.8.1", "v1.0.1", "v1.1.2", "v1.2.3", "v1.3.0"),
        (
            "libcni/*.go",
            "pkg/invoke/*.go",
            "pkg/types/*.go",
            "pkg/types/*/*.go",
            "pkg/version/*.go",
        ),
    ),
    Source(
        "containernetworking/plugins",
        ("v0.8.7", "v0.9.1", "v1.1.1", "v1.3.0", "v1.5.1", "v1.7.1", "v1.9.1"),
        (
            "plugins/main/macvlan/*.go",
            "plugins/main/ipvlan/*.go",
            "plugins/main/bridge/*.go",
            "plugins/main/host-device/*.go",
            "plugins/ipam/dhcp/*.go",
            "plugins/ipam/host-local/*.go",
            "plugins/ipam/host-local/backend/*/*.go",
            "plugins/ipam/static/*.go",
            "plugins/meta/portmap/*.go",
            "plugins/meta/tuning/*.go",
            "pkg/ip/link_linux.go",
        ),
    ),
    Source(
        "k8snetworkplumbingwg/whereabouts",
        ("v0.4.2", "v0.5.4", "v0.6.3", "v0.7.0", "v0.8.0", "v0.9.4"),
        (
            "cmd/*.go",
            "pkg/allocate/*.go",
            "pkg/config/*.go",
            "pkg/storage/*.go",
            "pkg/storage/kubernetes/*.go",
            "pkg/reconciler/*.go",
            "pkg/iphelpers/*.go",
        ),
    ),
    Source(
        "k8snetworkplumbingwg/sriov-cni",
        ("v2.1.0", "v2.6.3", "v2.7.0", "v2.8.1", "v2.10.0"),
        ("cmd/sriov/*.go", "pkg/config/*.go", "pkg/sriov/*.go", "pkg/utils/*.go"),
    ),
    Source(
        "k8snetworkplumbingwg/sriov-network-device-plugin",
        ("v3.3.2", "v3.6.2", "v3.9.0", "v3.11.0"),
        ("pkg/resources/server.go",),
    ),
    Source(
        "ovn-org/ovn-kubernetes",
        ("v0.3.0", "v1.0.0"),
        ("go-controller/pkg/cni/*.go",),
    ),
    Source(
        "containerd/containerd",
        ("v1.6.39", "v1.7.34", "v2.0.0", "v2.3.4"),
        (
            "pkg/cri/server/sandbox_run.go",
            "pkg/cri/server/sandbox_stop.go",
            "pkg/cri/server/service.go",
            "pkg/cri/sbserver/sandbox_run.go",
            "pkg/cri/sbserver/sandbox_stop.go",
            "internal/cri/server/sandbox_run.go",
            "internal/cri/server/sandbox_stop.go",
            "internal/cri/server/service.go",
        ),
        only=r"(?i)network|cni|sandbox",
    ),
    Source(
        "cri-o/cri-o",
        ("v1.24.0", "v1.29.0", "v1.36.3"),
        (
            "server/sandbox_network.go",
            "server/sandbox_run_linux.go",
            "server/sandbox_stop_linux.go",
        ),
        only=r"(?i)network|cni",
    ),
)

_CALL = regex.compile(
    r"\b(?:fmt\.Errorf|errors\.New|errors\.Errorf|errors\.Wrapf?|logging\.Errorf|cmdErr|"
    r"cmdPluginErr|types\.NewError|log\.(?:G\(ctx\)\.)?(?:WithError\([^)]*\)\.)?Errorf?|"
    r"klog\.Errorf|logrus\.Errorf|newCNIError)\("
)
_LITERAL = regex.compile(r'"((?:[^"\\\n]|\\.)*)"|`([^`]*)`')
_FUNC = regex.compile(r"^func (?:\([^)]*\) )?(?P<name>\w+)")
#: texts too short or too bare to be a signature
_TRIVIAL = regex.compile(r"^(?:%[vsdqw]|[%\w]{1,3}|.{0,7})$", regex.S)


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={mirror}", *args], capture_output=True, text=True, check=False
    ).stdout


_WORD = regex.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_OPS = (
    ("check", {"check"}),
    ("del", {"del", "delete", "teardown", "stop", "release", "remove", "destroy", "deallocate"}),
    ("add", {"add", "setup", "run", "allocate", "create"}),
)


def _op(func: str) -> str:
    """``add`` / ``del`` / ``check`` from the words of the enclosing function's name."""
    words = {w.lower() for w in _WORD.findall(func)}
    for op, names in _OPS:
        if words & names:
            return op
    return "any"


def texts_of(source: str) -> list[tuple[int, str, str]]:
    """(line, text, enclosing function) for each error literal in one Go file."""
    lines = source.splitlines()
    out = []
    func = ""
    for n, line in enumerate(lines, start=1):
        m = _FUNC.match(line)
        if m:
            func = m.group("name")
        call = _CALL.search(line)
        if not call:
            continue
        # the literal may follow on the next line (multi-line calls)
        tail = line[call.end() :] + " " + (lines[n] if n < len(lines) else "")
        lit = _LITERAL.search(tail)
        if not lit:
            continue
        text = lit.group(1) if lit.group(1) is not None else lit.group(2)
        text = text.replace('\\"', '"').replace("\\n", "").replace("\\t", " ").strip()
        if _TRIVIAL.match(text):
            continue
        out.append((n, text, func))
    return out


def collect(mirrors: Path) -> list[dict[str, object]]:
    entries: dict[tuple[str, str], dict[str, object]] = {}
    for src in SOURCES:
        mirror = mirrors / src.repo.replace("/", "+") / "repo"
        if not mirror.is_dir():
            print(f"build_inventory: no mirror of {src.repo} at {mirror}", file=sys.stderr)
            continue
        only = regex.compile(src.only) if src.only else None
        for tag in src.tags:
            files = _git(mirror, "ls-tree", "-r", "--name-only", tag).splitlines()
            for path in files:
                if not any(fnmatch.fnmatch(path, g) for g in src.include):
                    continue
                if any(fnmatch.fnmatch(path, g) for g in src.exclude):
                    continue
                for line, text, func in texts_of(_git(mirror, "show", f"{tag}:{path}")):
                    if only and not only.search(text):
                        continue
                    key = (src.repo, text)
                    entry = entries.setdefault(
                        key,
                        {
                            "text": text,
                            "repo": src.repo,
                            "file": path,
                            "line": line,
                            "func": func,
                            "op": _op(func),
                            "versions": [],
                        },
                    )
                    versions = entry["versions"]
                    assert isinstance(versions, list)
                    if tag not in versions:
                        versions.append(tag)
                    entry.update(file=path, line=line, func=func)  # newest location wins
    return list(entries.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", type=Path, help="folder of owner+name/repo bare clones")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "scripts"))
    from inventory_labels import label_of

    entries = collect(args.mirrors)
    rows = []
    for entry in sorted(entries, key=lambda e: (str(e["repo"]), str(e["file"]), str(e["text"]))):
        label, reason, fill = label_of(str(entry["repo"]), str(entry["file"]), str(entry["text"]))
        rows.append({**entry, "label": label, "reason": reason, "fill": fill})
    args.output.write_text(
        "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows),
        encoding="utf-8",
    )
    mapped = sum(1 for r in rows if r["label"] not in ("generic", ""))
    print(f"{len(rows)} entries, {mapped} mapped to a label, written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
