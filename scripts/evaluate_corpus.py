#!/usr/bin/env python3
"""Accuracy of ``diagnose`` on a labelled corpus (JSONL with ``id``, ``log``, ``root_cause``).

Each record's ``log`` is written as it is to a temporary file and diagnosed like any input. Prints
one line per record, top-1 accuracy, the number of wrong answers at confidence >= 0.8, and a
confusion table (expected label x top-1 answer). Exit status 0 when the floors hold
(``--min-accuracy``, zero confident wrong answers), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
CONFIDENT = 0.8


def evaluate(corpus: Path, year: int = 2026) -> dict[str, Any]:
    """Per-record results and totals; ``year`` anchors year-less stamps (results must not depend on mtimes)."""
    from multus_forensics.classify import diagnose, load_catalog

    catalog = load_catalog()
    records = [
        json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
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
                error = None
            except Exception as exc:  # a crash on one record is a wrong answer, not an abort
                answer, conf, alts, error = "unknown", 0.0, [], f"{type(exc).__name__}: {exc}"
            results.append(
                {
                    "id": rec["id"],
                    "expected": rec["root_cause"],
                    "answer": answer,
                    "confidence": conf,
                    "alternatives": alts,
                    "correct": answer == rec["root_cause"],
                    "error": error,
                }
            )
    n = len(results)
    right = sum(r["correct"] for r in results)
    confident_wrong = [r for r in results if not r["correct"] and r["confidence"] >= CONFIDENT]
    return {
        "results": results,
        "records": n,
        "correct": right,
        "accuracy": right / n if n else 0.0,
        "confident_wrong": len(confident_wrong),
    }


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
    parser.add_argument("--min-accuracy", type=float, default=0.9, help="top-1 accuracy floor")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"evaluate_corpus: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    report = evaluate(args.corpus)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for r in report["results"]:
            mark = "ok " if r["correct"] else "BAD"
            alts = ", ".join(f"{a} {c:.2f}" for a, c in r["alternatives"])
            extra = f" [{r['error']}]" if r["error"] else ""
            print(
                f"{mark} {r['id']}: expected {r['expected']}, got {r['answer']} "
                f"{r['confidence']:.2f}" + (f" (then {alts})" if alts else "") + extra
            )
        print()
        print(f"top-1 accuracy: {report['correct']}/{report['records']} = {report['accuracy']:.1%}")
        print(f"wrong answers with confidence >= {CONFIDENT}: {report['confident_wrong']}")
        print()
        print(confusion(report["results"]))
    ok = report["accuracy"] >= args.min_accuracy and report["confident_wrong"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
