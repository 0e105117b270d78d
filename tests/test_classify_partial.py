"""Rules matched per stream on the workers that parsed a bundle give the diagnosis and report
of one process reading the whole bundle, byte for byte.

The bundles hold several nodes (generated busy journals of the same pods on two nodes, so pods
cross nodes), upstream logs from ``tests/data`` (a node without Multus, a Multus log), a CNI
config and NetworkAttachmentDefinitions in other members, Multus daemon errors no rule explains
(clustered), and lines no format reads (read again and matched in the main process).
"""

from __future__ import annotations

import io
import json
import random
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

import multus_forensics as mf
from multus_forensics.batch import ParseOptions
from multus_forensics.batch.compact import keep_spec
from multus_forensics.batch.streams import parse_streams
from multus_forensics.classify import load_catalog
from multus_forensics.classify.context import Context
from multus_forensics.classify.partial import (
    MatchedLog,
    Matches,
    StreamMatches,
    fingerprint,
    install,
    known_hits,
    match_stream,
    splits,
)
from multus_forensics.cli import main
from multus_forensics.commands.diagnose import json_pieces

DATA = ROOT / "tests" / "data"


def _node_journal(host: str) -> bytes:
    """A busy node's journal (``benchmarks/nodegen.py``); one seed, so both nodes run the same
    pods and fail the same way."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from nodegen import Shape, node_journal

    lines = node_journal(1500, random.Random(7), Shape(hosts=(host,)))
    return ("\n".join(lines) + "\n@@ a line no format reads @@\n").encode()


def _members() -> list[tuple[str, bytes]]:
    node = "must-gather/nodes"
    return [
        (f"{node}/worker-a/journal/kubelet.log", _node_journal("worker-a")),
        (f"{node}/worker-b/journal/kubelet.log", _node_journal("worker-b")),
        (f"{node}/worker-b/multus.log", (SAMPLES / "multus" / "daemon.log").read_bytes()),
        (f"{node}/worker-c/kubelet.log", (SAMPLES / "kubelet" / "kubelet.log").read_bytes()),
        (
            f"{node}/worker-d/kubelet.log",
            (DATA / "no_multus" / "kubeadm_docker_no_networks.log").read_bytes(),
        ),
        (
            f"{node}/worker-e/multus.log",
            (DATA / "real" / "netobserv_secondary_network_multus.log").read_bytes(),
        ),
        ("must-gather/cni/00-multus.conf", (SAMPLES / "configs" / "00-multus.conf").read_bytes()),
        (
            "must-gather/cluster/net-attach-defs.yaml",
            (SAMPLES / "configs" / "net-attach-defs.yaml").read_bytes(),
        ),
        ("must-gather/notes.txt", b"@@ nothing here @@\n%% no format knows this %%\n"),
    ]


def _tar(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1773230000
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (2026, 3, 11, 12, 0, 0)), data)
    return path


BUILDERS: dict[str, Callable[[Path, list[tuple[str, bytes]]], Path]] = {
    "must-gather.tar.gz": _tar,
    "must-gather.zip": _zip,
}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name: str = request.param
    return BUILDERS[name](tmp_path_factory.mktemp("partial") / name, _members())


def _one_process(bundle: Path) -> str:
    """``diagnose --json`` as one process reading the whole bundle prints it."""
    return "".join(json_pieces(mf.diagnose(mf.parse(str(bundle), year=2026)))) + "\n"


def test_the_workers_match_every_stream_and_the_bundle_holds_what_the_test_needs(
    bundle: Path,
) -> None:
    streamed = parse_streams(
        [str(bundle)], ParseOptions(year=2026), keep=keep_spec(), match=True, workers=2
    )
    assert streamed.mode == "processes"
    assert isinstance(streamed.log, MatchedLog)
    matches = streamed.log.matches
    assert matches is not None
    assert matches.why_not is None
    assert len(matches.streams) >= 6
    assert sum(len(lines) for s in matches.streams for lines, _ in s.hits.values())
    diag = mf.diagnose(streamed.log)
    nodes = {p for f in diag.findings for e in f.evidence for p in [e.member or ""]}
    assert any("worker-a" in n for n in nodes)
    assert any("worker-b" in n for n in nodes)
    assert diag.unclassified  # errors no rule explains, clustered across streams
    assert "CNI-CONFIG-DIR-EMPTY" in {f.rule for f in diag.findings}  # the node without Multus
    assert streamed.log.issues  # lines no format read, matched again in this process


@pytest.mark.parametrize("workers", ["1", "2"])
def test_diagnose_json_on_workers_is_byte_identical_to_one_process(
    bundle: Path, workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _one_process(bundle)
    code = main(["diagnose", str(bundle), "--json", "-q", "--year", "2026", "-j", workers])
    assert code == 0
    assert capsys.readouterr().out == expected


def test_diagnose_with_a_user_rule_on_workers_is_byte_identical_to_one_process(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text(
        '[[rule]]\nid = "MINE-CILIUM"\ntitle = "t"\nroot_cause = "multus_bug"\n'
        'severity = "error"\npatterns = ["Cilium API client timeout"]\nconfidence = 0.96\n'
        'explanation = "x"\n',
        encoding="utf-8",
    )
    args = ["diagnose", str(bundle), "--json", "-q", "--year", "2026", "--rules", str(rules)]
    assert main([*args, "-j", "1"]) == 0
    one = capsys.readouterr().out
    assert main([*args, "-j", "2"]) == 0
    assert capsys.readouterr().out == one
    assert '"rule": "MINE-CILIUM"' in one


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_report_on_workers_is_byte_identical_to_one_process(
    bundle: Path, tmp_path: Path, fmt: str
) -> None:
    texts = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        args = ["report", str(bundle), "-o", str(out), "-f", fmt, "-q", "--year", "2026"]
        assert main([*args, "-j", workers]) == 0
        texts.append((out / f"report.{fmt}").read_bytes())
    assert texts[0] == texts[1]


def test_a_member_name_twice_in_an_archive_is_matched_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = _members()
    twice = _tar(tmp_path / "twice.tar.gz", [*members, members[0]])
    streamed = parse_streams(
        [str(twice)], ParseOptions(year=2026), keep=keep_spec(), match=True, workers=2
    )
    assert isinstance(streamed.log, MatchedLog)
    assert streamed.log.matches is not None
    ctx = Context.of_frame(streamed.log.frame)
    assert not install(ctx, streamed.log.matches, load_catalog())  # rows not named by line
    assert "is in the archive twice" in (streamed.log.matches.why_not or "")
    assert main(["diagnose", str(twice), "--json", "--year", "2026", "-j", "2"]) == 0
    out, err = capsys.readouterr()
    assert out == _one_process(twice)
    assert "note: rules matched in one process: " in err
    assert "kubelet.log is in the archive twice" in err


def test_hits_of_a_different_catalog_are_not_used() -> None:
    frame = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log")).frame
    part = match_stream(frame, frame["file"][0], None)
    assert part.hits
    assert part.why_not is None
    matches = Matches()
    matches.add(part)
    catalog = load_catalog()
    ctx = Context.of_frame(frame)
    assert install(ctx, matches, catalog)
    rule = next(r for r in catalog.rules if fingerprint(r) in part.hits)
    found = known_hits(rule, ctx)
    assert found is not None
    assert found[0]
    # the same rule id with another pattern is another rule: its hits are not taken
    from dataclasses import replace

    changed = replace(rule, pattern_texts=("something else",))
    assert fingerprint(changed) != fingerprint(rule)
    assert known_hits(changed, ctx) is None


def test_rows_not_named_by_their_line_are_not_split() -> None:
    import polars as pl

    frame = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log")).frame
    doubled = pl.concat([frame, frame])
    part = match_stream(doubled, doubled["file"][0], None)
    assert part.why_not is not None
    assert not part.hits
    matches = Matches()
    matches.add(part)
    assert matches.why_not == part.why_not
    assert not install(Context.of_frame(doubled), matches, load_catalog())


def test_user_stream_and_domain_rules_are_matched_in_one_process() -> None:
    catalog = load_catalog()
    by_id = {r.id: r for r in catalog.rules}
    assert not splits(by_id["SELFDEL-CONFIG"])  # across the records of a stream
    assert not splits(by_id["SELFDEL-REENTRY"])  # among the add order's re-entries
    from dataclasses import replace

    assert not splits(replace(by_id["MASTER-MISSING"], user=True))
    assert splits(by_id["MASTER-MISSING"])


def test_an_empty_stream_matches_nothing() -> None:
    from multus_forensics.model import empty_frame

    assert match_stream(empty_frame(), "f", None) == StreamMatches("f", None)


def test_real_multus_logs_in_a_bundle_diagnose_as_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = sorted((DATA / "real").glob("*"))
    members = [(f"mg/nodes/n{i}/{p.name}", p.read_bytes()) for i, p in enumerate(real)]
    path = _tar(tmp_path / "real.tar.gz", members)
    assert main(["diagnose", str(path), "--json", "-q", "--year", "2026", "-j", "2"]) in (0, 1)
    assert capsys.readouterr().out == _one_process(path)
    doc = json.loads(_one_process(path))
    assert doc["stats"]["files"] == len(real)


def test_lines_no_format_read_are_read_by_the_workers_not_again_from_the_bundle(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multus_forensics.classify.engine as engine

    expected = _one_process(bundle)
    streamed = parse_streams(
        [str(bundle)], ParseOptions(year=2026), keep=keep_spec(), match=True, workers=2
    )
    matches = streamed.log.matches if isinstance(streamed.log, MatchedLog) else None
    assert matches is not None
    assert matches.unread is not None
    assert matches.unread.height == 2  # the two lines of the notes no format reads

    def read_again(*args: object) -> list[mf.Event]:
        raise AssertionError("the bundle was read again")

    monkeypatch.setattr(engine, "unrecognised_events", read_again)
    assert "".join(json_pieces(mf.diagnose(streamed.log))) + "\n" == expected


def test_with_ingestion_limits_the_unread_lines_are_read_again_as_one_process_reads_them(
    bundle: Path,
) -> None:
    from multus_forensics.ingest import Limits

    options = ParseOptions(year=2026, limits=Limits(max_members=100))
    streamed = parse_streams([str(bundle)], options, keep=keep_spec(), match=True, workers=2)
    assert isinstance(streamed.log, MatchedLog)
    assert streamed.log.matches is not None
    assert streamed.log.matches.unread is None
    assert "".join(json_pieces(mf.diagnose(streamed.log))) + "\n" == _one_process(bundle)


def test_a_matched_log_shows_itself_as_an_event_log() -> None:
    log = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log"))
    matched = MatchedLog(log.frame, log.issues, log.stats, matches=Matches())
    assert repr(matched) == repr(log)
