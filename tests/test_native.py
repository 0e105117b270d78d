"""The compiled extensions are optional: with them off, every parser gives the same result."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import numpy as np
import pytest

import multus_forensics as mf
from multus_forensics import _native
from multus_forensics.cli import main
from multus_forensics.formats.fast import _bytevec
from multus_forensics.formats.kubelet import journald

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the first warning again (the module warns once per process)."""
    monkeypatch.setattr(_native, "_warned", set())


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n", b"\n", b"\n\n", b"a\nb", b"a\r\nb\n", b"x" * 100 + b"\n\nlast"],
)
def test_line_bounds_without_the_extension_match_the_compiled_ones(
    data: bytes, monkeypatch: pytest.MonkeyPatch, fresh_warnings: None
) -> None:
    arr = np.frombuffer(data, dtype=np.uint8)
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    monkeypatch.setenv(_native.ENV_DISABLE, "1")
    with pytest.warns(_native.NativeExtensionWarning):
        starts, ends = _bytevec.line_bounds(arr)
    assert [data[s:e] for s, e in zip(starts, ends, strict=True)] == lines
    monkeypatch.delenv(_native.ENV_DISABLE)
    if _native.reason_off("_kscan") is None:
        c_starts, c_ends = _bytevec.line_bounds(arr)
        assert c_starts.tolist() == starts.tolist()
        assert c_ends.tolist() == ends.tolist()


def _journal(path: Path, n: int) -> None:
    """A kubelet journal with the shapes the fast path handles and the ones it hands back."""
    rng = random.Random(5)
    rows = []
    for i in range(n):
        sec = i % 60
        pod = f"lab/web-{rng.randrange(5)}"
        kind = rng.randrange(4)
        head = f"Mar 11 14:{i // 60 % 60:02d}:{sec:02d} node-{i % 3} kubelet[2231]: "
        klog = f"E0311 14:{i // 60 % 60:02d}:{sec:02d}.418552    2231 pod_workers.go:1301] "
        if kind == 0:
            rows.append(
                head + klog + '"Error syncing pod, skipping" err="failed to \\"CreatePodSandbox\\" '
                'for pod: plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): '
                f'error adding container to network \\"macvlan-conf\\": Link not found" pod="{pod}"'
            )
        elif kind == 1:
            rows.append(head + klog.replace("E0311", "I0311") + f'"SyncLoop ADD" pods=["{pod}"]')
        elif kind == 2:
            rows.append(head + "  a continuation line \u00e9")
        else:
            rows.append(head + "plain text naming a sandbox")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_large_journal_parses_the_same_with_the_extension_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_warnings: None
) -> None:
    path = tmp_path / "kubelet.journal"
    _journal(path, 3000)
    assert journald.VECTOR_MIN_LINES < 3000  # the compiled path would be chosen
    monkeypatch.delenv(_native.ENV_DISABLE, raising=False)
    with warnings.catch_warnings():  # a build without the extension compares the fallback
        warnings.simplefilter("ignore", _native.NativeExtensionWarning)
        compiled = mf.parse(str(path), year=2026)
    _native._warned.clear()
    monkeypatch.setenv(_native.ENV_DISABLE, "1")
    with pytest.warns(_native.NativeExtensionWarning, match="MULTUS_FORENSICS_NO_EXT"):
        fallback = mf.parse(str(path), year=2026)
    assert fallback.to_polars().equals(compiled.to_polars())
    assert [str(i) for i in fallback.issues] == [str(i) for i in compiled.issues]
    assert [f.to_dict() for f in mf.diagnose(fallback).findings] == [
        f.to_dict() for f in mf.diagnose(compiled).findings
    ]


def test_runtime_logs_parse_the_same_with_the_extension_disabled(
    monkeypatch: pytest.MonkeyPatch, fresh_warnings: None
) -> None:
    paths = [str(p) for p in sorted(SAMPLES.rglob("*")) if p.is_file()]
    monkeypatch.delenv(_native.ENV_DISABLE, raising=False)
    compiled = mf.parse(paths, year=2026)
    monkeypatch.setenv(_native.ENV_DISABLE, "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _native.NativeExtensionWarning)
        fallback = mf.parse(paths, year=2026)
    assert fallback.to_polars().equals(compiled.to_polars())


def test_the_fallback_warns_once_per_process(
    monkeypatch: pytest.MonkeyPatch, fresh_warnings: None
) -> None:
    monkeypatch.setenv(_native.ENV_DISABLE, "1")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert _native.load("_kscan") is None
        assert _native.load("_kscan") is None
    assert len([w for w in seen if w.category is _native.NativeExtensionWarning]) == 1


def test_a_missing_extension_names_the_cause_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, fresh_warnings: None
) -> None:
    monkeypatch.delenv(_native.ENV_DISABLE, raising=False)
    monkeypatch.setitem(_native._imported, "_kscan", "the compiled module is missing (test)")
    with pytest.warns(_native.NativeExtensionWarning, match="missing"):
        assert _native.load("_kscan") is None
    with pytest.raises(ImportError, match="missing"):
        _native.require("_kscan")
    assert _native.status()["_kscan"] == "the compiled module is missing (test)"


@pytest.mark.parametrize("value", ["", "0"])
def test_an_empty_or_zero_variable_keeps_the_extension_on(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_native.ENV_DISABLE, value)
    assert not _native.disabled_by_env()


def test_an_unknown_extension_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="_kscan"):
        _native.load("_nope")


def test_formats_lists_the_fast_path_state(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(_native.ENV_DISABLE, "1")
    assert main(["formats"]) == 0
    assert "fast path _kscan: off (disabled by MULTUS_FORENSICS_NO_EXT=1" in capsys.readouterr().out
    assert main(["formats", "--json"]) == 0
    fast = json.loads(capsys.readouterr().out)["fast_paths"]["_kscan"]
    assert fast["on"] is False
    assert fast["reason"] == "disabled by MULTUS_FORENSICS_NO_EXT=1"
