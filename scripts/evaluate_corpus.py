#!/usr/bin/env python3
"""Accuracy of ``diagnose`` on a labelled corpus (JSONL with ``id``, ``log``, ``root_cause``, ``split``).

Each record's ``log`` is written as it is to a temporary file and diagnosed like any input. The
corpus is split (:func:`split_of`, recorded in each record's ``split``) into the part rules may
cite (``cite``) and the part they may not (``heldout``): the held-out figures are the ones that say
how the classifier does on cases it was not written from. Prints one line per record, then for
each part top-1 accuracy, "right label within the top two", wrong answers at confidence >= 0.8,
and a per-label table (records, right, recall, answered, precision) with the confusion table
(expected label x top-1 answer). Exit status 0 when the floors hold on the held-out part
(``--min-accuracy``, zero confident wrong answers in either part), 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "data" / "corpus_dev.jsonl"
CONFIDENT = 0.8
PARTS = ("cite", "heldout")


def split_of(records: list[dict[str, Any]]) -> dict[str, str]:
    """Record id -> ``cite`` or ``heldout``: per label, records in sha256(id) order alternate
    cite, heldout, cite... (stratified and deterministic; a label's only record stays citable)."""
    by_label: dict[str, list[str]] = {}
    for rec in records:
        by_label.setdefault(rec["root_cause"], []).append(rec["id"])
    split = {}
    for ids in by_label.values():
        ordered = sorted(ids, key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest())
        for n, rid in enumerate(ordered):
            split[rid] = PARTS[n % 2]
    return split


def load_records(corpus: Path) -> list[dict[str, Any]]:
    """The corpus records; a record without ``split`` gets the one :func:`split_of` assigns."""
    records = [
        json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    computed = split_of(records)
    for rec in records:
        rec.setdefault("split", computed[rec["id"]])
    return records


def evaluate(corpus: Path, year: int = 2026) -> dict[str, Any]:
    """Per-record results and totals; ``year`` anchors year-less stamps (results must not depend on mtimes)."""
    from multus_forensics.classify import diagnose, load_catalog

    catalog = load_catalog()
    records = load_records(corpus)
    results = []
    with tempfile.TemporaryDirectory(prefix="mf-corpus-") as tmp:
        for n, rec in enumerate(records):
            # a neutral name: detection must come from the content, as for an unnamed paste
            path = Path(tmp) / f"record-{n:03d}.txt"
            path.write_text(rec["log"], encoding="utf-8")
            try:
                diag = diagnose(str(path), catalog=catalog, year=year)
                top = diag.findings[0] if diag.findings else None
                answer = top.root_cause if top else "unknown"
                conf = top.confidence if top else 0.0
                alts = [(f.root_cause, f.confidence) for f in diag.findings[1:3]]
                top2 = [f.root_cause for f in diag.findings[:2]]
                error = None
            except Exception as exc:  # a crash on one record is a wrong answer, not an abort
                answer, conf, alts, error = "unknown", 0.0, [], f"{type(exc).__name__}: {exc}"
                top2 = []
            results.append(
                {
                    "id": rec["id"],
                    "split": rec["split"],
                    "expected": rec["root_cause"],
                    "answer": answer,
                    "confidence": conf,
                    "alternatives": alts,
                    "correct": answer == rec["root_cause"],
                    # an abstention is right within the top two only when unknown is expected
                    "top2": answer == rec["root_cause"] or rec["root_cause"] in top2,
                    "error": error,
                }
            )
    report: dict[str, Any] = {"results": results, **totals(results)}
    report["parts"] = {p: totals([r for r in results if r["split"] == p]) for p in PARTS}
    return report


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1 and top-2 accuracy and confident wrong answers of some results."""
    n = len(results)
    right = sum(r["correct"] for r in results)
    return {
        "records": n,
        "correct": right,
        "accuracy": right / n if n else 0.0,
        "top2": sum(r["top2"] for r in results),
        "top2_accuracy": sum(r["top2"] for r in results) / n if n else 0.0,
        "confident_wrong": sum(
            1 for r in results if not r["correct"] and r["confidence"] >= CONFIDENT
        ),
    }


def per_label(results: list[dict[str, Any]]) -> str:
    """One row per label: records, right, recall, times answered, precision."""
    labels = sorted({r["expected"] for r in results} | {r["answer"] for r in results})
    width = max(len(lab) for lab in [*labels, "label"])
    lines = [f"{'label':<{width}} records right recall answered precision"]
    for lab in labels:
        n = sum(1 for r in results if r["expected"] == lab)
        right = sum(1 for r in results if r["expected"] == lab and r["correct"])
        said = sum(1 for r in results if r["answer"] == lab)
        recall = f"{right / n:.2f}" if n else "-"
        precision = f"{right / said:.2f}" if said else "-"
        lines.append(f"{lab:<{width}} {n:>7} {right:>5} {recall:>6} {said:>8} {precision:>9}")
    return "\n".join(lines)


def confusion(results: list[dict[str, Any]]) -> str:
    """Expected label (rows) x answered label (columns), only labels that occur."""
    pairs = Counter((r["expected"], r["answer"]) for r in results)
    labels = sorted({r["expected"] for r in results} | {r["answer"] for r in results})
    abbrev = {lab: f"c{i}" for i, lab in enumerate(labels)}
    width = max(len(lab) for lab in labels)
    lines = ["columns: " + ", ".join(f"{abbrev[lab]}={lab}" for lab in labels)]
    lines.append(" " * width + " " + " ".join(f"{abbrev[lab]:>4}" for lab in labels))
    for exp in labels:
        if not any(r["expected"] == exp for r in results):
            continue
        row = " ".join(f"{pairs.get((exp, ans), 0) or '.':>4}" for ans in labels)
        lines.append(f"{exp:<{width}} {row}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="labelled JSONL corpus")
    parser.add_argument(
        "--min-accuracy", type=float, default=0.85, help="top-1 accuracy floor on the held-out part"
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"evaluate_corpus: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    report = evaluate(args.corpus)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    held = report["parts"]["heldout"]
    ok = (held["records"] == 0 or held["accuracy"] >= args.min_accuracy) and report[
        "confident_wrong"
    ] == 0
    return 0 if ok else 1


def print_report(report: dict[str, Any]) -> None:
    for part in PARTS:
        results = [r for r in report["results"] if r["split"] == part]
        if not results:
            continue
        t = report["parts"][part]
        print(f"== {part} part ({t['records']} records) ==")
        for r in results:
            mark = "ok " if r["correct"] else "BAD"
            alts = ", ".join(f"{a} {c:.2f}" for a, c in r["alternatives"])
            extra = f" [{r['error']}]" if r["error"] else ""
            print(
                f"{mark} {r['id']}: expected {r['expected']}, got {r['answer']} "
                f"{r['confidence']:.2f}" + (f" (then {alts})" if alts else "") + extra
            )
        print()
        print(f"{part}: top-1 accuracy: {t['correct']}/{t['records']} = {t['accuracy']:.1%}")
        print(
            f"{part}: right label within the top two: {t['top2']}/{t['records']} = {t['top2_accuracy']:.1%}"
        )
        print(f"{part}: wrong answers with confidence >= {CONFIDENT}: {t['confident_wrong']}")
        print()
        print(per_label(results))
        print()
        print(confusion(results))
        print()
    print(
        f"all: top-1 accuracy: {report['correct']}/{report['records']} = {report['accuracy']:.1%}"
    )
    print(
        f"all: right label within the top two: {report['top2']}/{report['records']} = {report['top2_accuracy']:.1%}"
    )
    print(f"all: wrong answers with confidence >= {CONFIDENT}: {report['confident_wrong']}")


if __name__ == "__main__":
    sys.exit(main())
