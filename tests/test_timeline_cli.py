"""``multus-forensics timeline``: the readable story, --pod, -o outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from multus_forensics.cli import main

SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"
POD = "lab/probe-6d8f9c7b54-qwz4n"


def test_story_shows_attempt_blocks_with_order_error_and_anomalies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["timeline", str(SEED / "multus.log"), str(SEED / "containerd.log"), "--year", "2026"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("FAILED  sandbox") == 3
    assert "3 attempts: 3 failed" in out
    assert "2. net1   192.0.2.40/24        from lab/macvlan-conf" in out
    assert out.count("! self_delegation_reentry") == 3
    assert 'error: DelegateAdd: cannot set "macvlan" interface name to "net1"' in out
    assert "lab/web-7c9d8b6f5-h2kxm" in out


def test_pod_option_limits_the_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", str(SEED), "--year", "2026", "--pod", POD]) == 0
    out = capsys.readouterr().out
    assert out.startswith(POD)
    assert "web-7c9d8b6f5" not in out


def test_unknown_pod_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", str(SEED / "multus.log"), "--year", "2026", "--pod", "x/y"]) == 1
    assert "no pod 'x/y'" in capsys.readouterr().err


def test_missing_input_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", str(tmp_path / "absent.log")]) == 1
    assert capsys.readouterr().err


def test_json_output_holds_every_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "seed.json"
    assert main(["timeline", str(SEED), "--year", "2026", "--pod", POD, "-o", str(target)]) == 0
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert set(doc) == {"pods", "attempts", "interfaces", "anomalies", "events"}
    assert [a["outcome"] for a in doc["attempts"]] == ["failed"] * 3
    assert {p["pod"] for p in doc["pods"]} == {POD.split("/")[1]}
    assert str(target) in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tabular_output_writes_one_file_per_frame(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"seed{suffix}"
    assert main(["timeline", str(SEED / "multus.log"), "--year", "2026", "-o", str(target)]) == 0
    attempts = tmp_path / f"seed.attempts{suffix}"
    frame = pl.read_csv(attempts) if suffix == ".csv" else pl.read_parquet(attempts)
    assert frame.height == 4  # three failed attempts of the probe pod, one of the healthy pod
    for name in ("pods", "interfaces", "anomalies", "events"):
        assert (tmp_path / f"seed.{name}{suffix}").exists()


def test_text_output_receives_the_story(tmp_path: Path) -> None:
    target = tmp_path / "story.txt"
    assert main(["timeline", str(SEED / "multus.log"), "--year", "2026", "-o", str(target)]) == 0
    assert "self_delegation_reentry" in target.read_text(encoding="utf-8")
