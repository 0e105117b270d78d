"""Accuracy floors on the labelled corpus, measured by scripts/evaluate_corpus.py itself."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "evaluate_corpus.py"
CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("evaluate_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_top1_accuracy_and_no_confident_wrong_answer() -> None:
    assert CORPUS.is_file(), f"the labelled corpus is missing: {CORPUS}"
    report = _script().evaluate(CORPUS)
    wrong = [
        (r["id"], r["expected"], r["answer"], r["confidence"], r["error"])
        for r in report["results"]
        if not r["correct"]
    ]
    assert report["accuracy"] >= 0.9, wrong
    assert report["confident_wrong"] == 0, wrong
    assert not [r for r in report["results"] if r["error"]], "diagnose crashed on a record"


def test_script_prints_accuracy_confident_wrong_and_confusion(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    corpus = tmp_path / "mini.jsonl"
    corpus.write_text(
        '{"id": "a", "root_cause": "cni_plugin_not_installed", "log": "error adding container to network \\"n\\": failed to find plugin \\"macvlan\\" in path [/opt/cni/bin]"}\n'
        '{"id": "b", "root_cause": "unknown", "log": "netplugin failed with no error message"}\n'
        '{"id": "c", "root_cause": "nad_not_found", "log": "failed to lookup master \\"eth0\\": Link not found"}\n',
        encoding="utf-8",
    )
    code = _script().main(["--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert code == 1  # 2/3 is under the 90% floor
    assert "top-1 accuracy: 2/3 = 66.7%" in out
    assert "wrong answers with confidence >= 0.8: 0" in out
    assert "BAD c: expected nad_not_found, got master_interface_missing" in out
    assert "columns:" in out
    assert "nad_not_found" in out
