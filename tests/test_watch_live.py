"""``multus-forensics watch`` against real writers: a process appending, rotating and piping.

The seed case (``sample_logs/seed/``: kubelet journal, containerd and Multus logs) is written
line by line in time order by a separate process while ``watch`` runs; the line that makes the
self-delegation finding reach the reporting threshold is found independently, by running the
batch ``diagnose`` on every prefix of what was written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import multus_forensics as mf
from multus_forensics.classify import load_catalog

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sample_logs" / "seed"
WRITER = Path(__file__).resolve().parent / "watch_writer.py"
SEED_FILES = ("kubelet.journal", "containerd.log", "multus.log")
CAUSE = "multus_self_delegation"
THRESHOLD = 0.5  # the --min-confidence default
LATENCY_FLOOR = 2.0


class Watch:
    """``multus-forensics watch`` in a child process, its stdout lines stamped on arrival."""

    def __init__(self, *args: str, stdin: Any = subprocess.DEVNULL) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "multus_forensics", "watch", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_errors, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self._wait_ready()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    def _read_errors(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.errors.append(line)

    def _wait_ready(self, timeout: float = 60.0) -> None:
        """Until the inputs are open (the "watching ..." line), so writes after it are seen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            if any("watching" in line for line in self.errors):
                return
            time.sleep(0.02)

    def wait_for(self, predicate: Any, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(predicate(line) for _, line in self.lines):
                return True
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 20.0) -> tuple[int, str]:
        """Ctrl-C (unless the pipe already ended it); the exit code and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return rc, "".join(self.errors)

    def records(self) -> list[tuple[float, dict[str, Any]]]:
        return [(t, json.loads(line)) for t, line in self.lines if line.startswith("{")]

    def findings(self, cause: str) -> list[tuple[float, dict[str, Any]]]:
        return [
            (t, r)
            for t, r in self.records()
            if r.get("findings") and r["findings"][0]["root_cause"] == cause
        ]

    def last_summary(self) -> dict[str, Any]:
        summaries = [r["watch"] for _, r in self.records() if r["watch"]["type"] == "summary"]
        assert summaries, "no summary line"
        return summaries[-1]


def run_writer(plan: dict[str, Any], times: Path, stdout: Any = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), "--times", str(times)], stdin=subprocess.PIPE, stdout=stdout
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(plan).encode())
    proc.stdin.close()
    return proc


def write_times(path: Path) -> dict[int, float]:
    return {int(a): float(b) for a, b in (ln.split() for ln in path.read_text().splitlines())}


def seed_lines_in_time_order() -> list[tuple[str, str]]:
    """(file name, line) of the three seed logs, merged by the time of the record each opens."""
    keyed: list[tuple[float, int, int, str, str]] = []
    for order, name in enumerate(SEED_FILES):
        lines = (SEED / name).read_text(encoding="utf-8").splitlines()
        frame = mf.parse(SEED / name, year=2026).to_polars()
        times = {ln: t.timestamp() for ln, t in frame.select("line", "time").iter_rows() if t}
        last = 0.0
        for number, text in enumerate(lines, start=1):
            last = times.get(number, last)
            keyed.append((last, order, number, name, text))
    keyed.sort()
    return [(name, text) for _, _, _, name, text in keyed]


def decisive_index(tmp: Path, merged: list[tuple[str, str]]) -> int:
    """Index of the first line after which batch diagnose reports the cause at the threshold."""
    catalog = load_catalog()
    oracle = tmp / "oracle"
    oracle.mkdir()
    written: dict[str, list[str]] = {name: [] for name in SEED_FILES}
    for index, (name, text) in enumerate(merged):
        written[name].append(text)
        paths = []
        for fname, lines in written.items():
            if lines:
                (oracle / fname).write_text("\n".join(lines) + "\n", encoding="utf-8")
                paths.append(str(oracle / fname))
        diag = mf.diagnose(paths, catalog=catalog, year=2026)
        if any(f.root_cause == CAUSE and f.confidence >= THRESHOLD for f in diag):
            return index
    raise AssertionError("batch diagnose never reports the seed cause")


def test_seed_written_line_by_line_reports_self_delegation_once_within_two_seconds(
    tmp_path: Path,
) -> None:
    merged = seed_lines_in_time_order()
    decisive = decisive_index(tmp_path, merged)
    live = tmp_path / "node"
    live.mkdir()
    for name in SEED_FILES:
        (live / name).touch()
    watch = Watch("--json", "--year", "2026", *(str(live / n) for n in SEED_FILES))
    plan = {"delay": 0.04, "steps": [["line", str(live / n), text] for n, text in merged]}
    writer = run_writer(plan, tmp_path / "times")
    assert writer.wait(60) == 0
    watch.wait_for(lambda line: CAUSE in line, timeout=LATENCY_FLOOR + 1)
    time.sleep(1.0)  # anything reprinted late would show up here
    rc, err = watch.stop()
    assert rc == 0, err
    written_at = write_times(tmp_path / "times")
    reports = watch.findings(CAUSE)
    assert len(reports) == 1, [r["watch"] for _, r in reports]
    arrived, record = reports[0]
    latency = arrived - written_at[decisive]
    assert 0.0 <= latency <= LATENCY_FLOOR, (latency, decisive, merged[decisive])
    assert record["watch"]["reason"] == "new cause"
    assert record["findings"][0]["pods"] == ["lab/probe-6d8f9c7b54-qwz4n"]
    summary = watch.last_summary()
    assert summary["stats"]["lines"] == len(merged)
    assert summary["stats"]["unparsed_lines"] == 0


def test_pipe_from_a_writer_process_is_read_to_its_end(tmp_path: Path) -> None:
    lines = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines()
    plan = {"delay": 0.01, "steps": [["pipe", text] for text in lines]}
    writer = run_writer(plan, tmp_path / "times", stdout=subprocess.PIPE)
    watch = Watch("--json", "--year", "2026", "-", stdin=writer.stdout)
    assert writer.stdout is not None
    writer.stdout.close()  # the watch process holds the read end now
    assert writer.wait(30) == 0
    assert watch.proc.wait(30) == 0  # ends by itself at the end of the pipe
    rc, err = watch.stop()
    assert rc == 0, err
    assert len(watch.findings(CAUSE)) == 1
    summary = watch.last_summary()
    assert summary["stats"]["lines"] == len(lines)
    counts = {c["root_cause"]: c["count"] for c in summary["causes"]}
    batch = {f.root_cause: f.count for f in mf.diagnose(SEED / "kubelet.journal", year=2026)}
    assert counts == batch


def _kubelet_plan(path: Path, lines: list[str]) -> list[list[Any]]:
    return [["line", str(path), text] for text in lines]


def test_rotation_by_rename_then_copytruncate_loses_and_repeats_no_line(tmp_path: Path) -> None:
    lines = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines()
    log = tmp_path / "kubelet.journal"
    log.touch()
    watch = Watch("--json", "--year", "2026", "--poll", "0.05", str(log))
    # after copytruncate, the file must grow back less than what was read before the truncation
    # was noticed (as for tail -F); D is smaller than C, so even a starved watch sees it
    a, b, c, d = lines[:8], lines[8:10], lines[10:21], lines[21:]
    steps: list[list[Any]] = _kubelet_plan(log, a)
    steps += [["sleep", 0.5], ["rename", str(log), str(tmp_path / "kubelet.journal.1")]]
    steps += _kubelet_plan(log, b)  # still the old file: the writer has not reopened yet
    steps += [["sleep", 0.5], ["reopen", str(log)]]
    steps += _kubelet_plan(log, c)  # a new file at the path
    steps += [["sleep", 1.0], ["truncate", str(log)], ["sleep", 1.0]]
    steps += _kubelet_plan(log, d)
    writer = run_writer({"delay": 0.02, "steps": steps}, tmp_path / "times")
    assert writer.wait(60) == 0
    time.sleep(0.5)
    rc, err = watch.stop()
    assert rc == 0, err
    assert "rotated" in err, err
    assert "truncated" in err, err
    summary = watch.last_summary()
    assert summary["stats"]["lines"] == len(lines)
    assert summary["stats"]["unparsed_lines"] == 0
    counts = {c["root_cause"]: c["count"] for c in summary["causes"]}
    batch = {f.root_cause: f.count for f in mf.diagnose(SEED / "kubelet.journal", year=2026)}
    assert counts == batch
    assert len(watch.findings(CAUSE)) == 1


def test_since_end_skips_what_the_file_already_holds(tmp_path: Path) -> None:
    log = tmp_path / "kubelet.journal"
    log.write_text((SEED / "kubelet.journal").read_text(encoding="utf-8"), encoding="utf-8")
    watch = Watch("--json", "--year", "2026", str(log))
    time.sleep(1.0)
    rc, err = watch.stop()
    assert rc == 0, err
    assert watch.findings(CAUSE) == []
    assert watch.last_summary()["stats"]["lines"] == 0


@pytest.mark.parametrize(("severity", "code"), [("error", 3), ("critical", 0)])
def test_exit_on_severity_exits_three_at_the_first_finding(
    tmp_path: Path, severity: str, code: int
) -> None:
    log = tmp_path / "kubelet.journal"
    log.write_text((SEED / "kubelet.journal").read_text(encoding="utf-8"), encoding="utf-8")
    watch = Watch("--year", "2026", "--since", "beginning", "--exit-on", severity, str(log))
    if code == 3:
        assert watch.proc.wait(30) == 3
    else:
        assert watch.wait_for(lambda line: "(new cause)" in line, timeout=30)
        time.sleep(0.5)
        assert watch.proc.poll() is None  # an error finding is under "critical": still running
    rc, _ = watch.stop()
    assert rc == code
    text = "\n".join(line for _, line in watch.lines)
    assert f"1. {CAUSE}" in text
    assert "(new cause)" in text


def test_a_file_that_appears_later_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "later" / "kubelet.journal"
    watch = Watch("--json", "--year", "2026", str(log))
    time.sleep(0.5)
    log.parent.mkdir()
    log.write_text((SEED / "kubelet.journal").read_text(encoding="utf-8"), encoding="utf-8")
    assert watch.wait_for(lambda line: CAUSE in line, timeout=5)
    rc, err = watch.stop()
    assert rc == 0
    assert "waiting for it" in err
    assert "appeared" in err


def test_missing_rules_file_is_a_one_line_input_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "multus_forensics", "watch", "--rules", "/nonexistent.toml", "-"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=30,
        env={**os.environ},
    )
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1
    assert "error" in out.stderr
