"""A bundle parsed stream by stream on a process pool gives what one ``parse()`` gives, and its
rows cut to what the analysis reads give the same timelines, findings and report."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import SAMPLES

import multus_forensics as mf
from multus_forensics.batch import ParseOptions
from multus_forensics.batch.compact import KeepSpec, compact, keep_spec
from multus_forensics.batch.streams import POOL_MIN_BYTES, parse_streams
from multus_forensics.cli import main
from multus_forensics.report.data import build_report_data

ROTATED = SAMPLES / "bundles" / "rotated"
#: archive members' modification time: a year after the logs, so the year-less kubelet lines
#: are first dated 2027 and moved back by the bundle's full timestamps
MEMBER_MTIME = time.mktime((2027, 3, 12, 0, 0, 0, 0, 0, -1))


def _chatter(n: int, host: str) -> str:
    """Kubelet journal lines that name no pod, carry no error and hold no rule fragment."""
    return "".join(
        f"Mar 11 13:{i // 60 % 60:02d}:{i % 60:02d} {host} kubelet[2231]: "
        f"I0311 13:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}    2231 "
        f'container_manager_linux.go:510] "Discovered runtime cgroup name" cgroupName="/system.slice/c{i}"\n'
        for i in range(n)
    )


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(MEMBER_MTIME)
    tar.addfile(info, io.BytesIO(data))


def build_bundle(path: Path) -> Path:
    """A must-gather-shaped tar.gz: two nodes (kubelet, containerd, Multus; a rotated set with a
    gzipped member), a busy journal, and a member no format reads."""
    with tarfile.open(path, "w:gz") as tar:
        for name in ("kubelet.log", "kubelet.log.1", "containerd.log", "multus.log"):
            _add(tar, f"mg/nodes/worker-1/{name}", (ROTATED / name).read_bytes())
        _add(
            tar,
            "mg/nodes/worker-1/kubelet.log.2",
            gzip.decompress((ROTATED / "kubelet.log.2.gz").read_bytes()),
        )
        busy = _chatter(400, "worker-2") + (SAMPLES / "kubelet" / "thick-block.journal").read_text()
        _add(tar, "mg/nodes/worker-2/journal/kubelet.journal", busy.encode())
        _add(tar, "mg/nodes/worker-2/journal/chatter.journal", _chatter(300, "worker-2").encode())
        _add(
            tar,
            "mg/nodes/worker-2/containerd.log",
            (SAMPLES / "runtime" / "crio-new.log").read_bytes(),
        )
        _add(tar, "mg/notes/garbage.txt", b"@@ nothing here @@\n%% a log format would know %%\n")
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "must-gather.tar.gz")


def _analysis(log: mf.EventLog) -> dict[str, Any]:
    tl = mf.build_timelines(log)
    out = {
        name: getattr(tl, name)().to_dicts()
        for name in ("pods", "attempts", "interfaces", "anomalies")
    }
    out["diagnosis"] = mf.diagnose(log, timelines=tl).to_dict()
    return json.loads(json.dumps(out, default=str, sort_keys=True))


def _report(log: mf.EventLog) -> dict[str, Any]:
    doc = build_report_data(log, title="t", plots=False).to_json()
    return json.loads(json.dumps(doc, default=str, sort_keys=True))


@pytest.mark.parametrize("workers", [1, 2])
def test_streams_on_workers_merge_to_the_log_parse_gives(bundle: Path, workers: int) -> None:
    expected = mf.parse(str(bundle))
    streamed = parse_streams([str(bundle)], workers=workers)
    assert streamed.mode == ("sequential" if workers == 1 else "processes")
    assert (os.getpid() in streamed.pids) == (workers == 1)
    assert streamed.streams == len([f for f in expected.stats.files if not f.skipped or f.lines])
    assert streamed.log.frame.equals(expected.frame)
    assert streamed.log.issues == expected.issues
    assert streamed.log.stats.files == expected.stats.files


def test_year_less_members_are_moved_onto_the_bundle_span_across_workers(bundle: Path) -> None:
    frame = parse_streams([str(bundle)], workers=2).log.frame
    moved = frame.filter(pl.col("year_source") == "bundle")
    assert moved.height
    assert set(moved["time"].dt.year().to_list()) == {2026}


def test_rows_cut_to_what_the_analysis_reads_give_the_same_analysis_and_report(
    bundle: Path,
) -> None:
    full = mf.parse(str(bundle))
    cut = parse_streams([str(bundle)], keep=keep_spec(), workers=2)
    assert cut.rows == full.frame.height
    assert 0 < cut.kept < cut.rows - 600  # the chatter is set aside
    assert cut.log.frame.height == cut.kept
    assert cut.log.stats.files == full.stats.files  # accounting complete: lines, events, unparsed
    assert cut.log.issues == full.issues
    assert _analysis(cut.log) == _analysis(full)
    assert _report(cut.log) == _report(full)


def test_a_stream_a_cross_record_rule_may_read_is_kept_whole() -> None:
    frame = mf.parse(str(SAMPLES / "configs" / "00-multus.conf")).frame
    spec = keep_spec()
    assert spec.stream_rules
    assert compact(frame, spec).equals(frame)


def test_a_rule_without_literals_keeps_every_row_of_its_kinds(tmp_path: Path) -> None:
    path = tmp_path / "chatter.journal"
    path.write_text(_chatter(20, "worker-9"), encoding="utf-8")
    frame = mf.parse(str(path), year=2026).frame
    assert compact(frame, KeepSpec(frozenset(), every_row_kinds=((),))).equals(frame)
    assert compact(frame, KeepSpec(frozenset(), every_row_kinds=(("log",),))).equals(frame)
    assert compact(frame, KeepSpec(frozenset(), every_row_kinds=(("multus:add",),))).height == 2


def test_each_stream_keeps_its_first_and_last_row(tmp_path: Path) -> None:
    path = tmp_path / "chatter.journal"
    path.write_text(_chatter(50, "worker-9"), encoding="utf-8")
    frame = mf.parse(str(path), year=2026).frame
    kept = compact(frame, keep_spec())
    assert kept["line"].to_list() == [1, 50]
    assert kept["node"].to_list() == ["worker-9", "worker-9"]


def test_diagnose_of_a_bundle_on_two_workers_prints_what_one_process_does(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for workers in ("1", "2"):
        code = main(["diagnose", str(bundle), "--json", "-q", "-j", workers])
        outputs.append((code, capsys.readouterr().out))
    expected = mf.diagnose(mf.parse(str(bundle))).to_dict()
    assert outputs[0] == outputs[1]
    assert (
        json.loads(outputs[0][1])["findings"]
        == json.loads(json.dumps(expected, default=str))["findings"]
    )


def test_diagnose_refuses_a_bad_worker_count_before_parsing(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", str(bundle), "-j", "0"]) == 1
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_report_of_one_bundle_on_two_workers_equals_one_worker(
    bundle: Path, tmp_path: Path
) -> None:
    docs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert main(["report", str(bundle), "-o", str(out), "-f", "json", "-q", "-j", workers]) == 0
        doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
        docs.append(doc)
    assert docs[0] == docs[1]
    assert docs[0] == _report(mf.parse(str(bundle))) | {"title": docs[0]["title"]}


def test_options_reach_the_stream_workers(bundle: Path) -> None:
    pinned = parse_streams([str(bundle)], ParseOptions(year=2024), workers=2).log.frame
    assert pinned.filter(pl.col("year_source") == "argument").height
    assert pinned.equals(mf.parse(str(bundle), year=2024).frame)


def test_a_small_bundle_is_parsed_here_unless_workers_are_asked_for(bundle: Path) -> None:
    assert bundle.stat().st_size < POOL_MIN_BYTES
    assert parse_streams([str(bundle)]).mode == "sequential"
    assert parse_streams([str(bundle)], workers=2).mode == "processes"


def test_mapped_files_of_a_directory_merge_to_what_parse_gives() -> None:
    from multus_forensics.ingest import Limits

    limits = Limits(map_min_bytes=1)
    expected = mf.parse(str(ROTATED), limits=limits)
    streamed = parse_streams([str(ROTATED)], ParseOptions(limits=limits), workers=2)
    assert streamed.log.frame.equals(expected.frame)
    assert streamed.log.stats.files == expected.stats.files


def test_on_error_raise_stops_at_the_first_line_no_parser_took(bundle: Path) -> None:
    from multus_forensics.errors import ParseError

    with pytest.raises(ParseError) as raised:
        mf.parse(str(bundle), on_error="raise")
    with pytest.raises(ParseError) as streamed:
        parse_streams([str(bundle)], ParseOptions(on_error="raise"), workers=2)
    assert streamed.value.issue == raised.value.issue


CHATTER_RULE = """
[[rule]]
id = "SITE-CGROUP"
title = "Runtime cgroup rediscovered"
root_cause = "cni_plugin_not_installed"
severity = "warning"
target = "event"
patterns = ['Discovered runtime cgroup name" cgroupName="/system\\.slice/c(?P<n>17)"']
confidence = 0.9
explanation = "A site rule that reads chatter lines."
remediation = ["Nothing."]
examples = ['"Discovered runtime cgroup name" cgroupName="/system.slice/c17"']
"""


def test_a_user_rule_keeps_the_rows_it_reads(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text(CHATTER_RULE, encoding="utf-8")
    assert main(["diagnose", str(bundle), "--json", "-q", "-j", "2", "--rules", str(rules)]) == 0
    doc = json.loads(capsys.readouterr().out)
    expected = mf.diagnose(mf.parse(str(bundle)), rules=[rules]).to_dict()
    assert "SITE-CGROUP" in [f["rule"] for f in doc["findings"]]
    assert doc["findings"] == json.loads(json.dumps(expected, default=str))["findings"]


def test_a_bundle_nested_in_a_zip_merges_to_what_parse_gives(bundle: Path, tmp_path: Path) -> None:
    import zipfile

    outer = tmp_path / "case-42.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(bundle, "uploads/must-gather.tar.gz")
        zf.writestr("uploads/notes.txt", "collected after the outage\n")
    expected = mf.parse(str(outer))
    streamed = parse_streams([str(outer)], workers=2)
    assert streamed.log.frame.equals(expected.frame)
    assert streamed.log.issues == expected.issues
    assert streamed.log.stats.files == expected.stats.files
