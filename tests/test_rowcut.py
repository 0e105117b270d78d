"""A diagnosis of a journal parsed with its unread rows cut equals the diagnosis of the whole input.

:mod:`multus_forensics.rowcut` drops, while a large journal is scanned, the rows no diagnosis reads,
and says when a whole-input question (interface adds, a rule over whole files, a bundle's years)
needs them after all. These tests hold the premise on every sample and labelled excerpt (the
diagnosis of the masked rows is the whole input's, or the cut is refused), and the parse-time cut
on generated journals of many chunks: same statistics, same diagnosis, every masked row kept.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import ROOT, SAMPLES, repo_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.batch.compact import diagnosis_mask, keep_spec
from multus_forensics.classify import load_catalog
from multus_forensics.cli import main
from multus_forensics.commands.diagnose import json_pieces
from multus_forensics.eventlog import EventLog
from multus_forensics.formats.kubelet import _journalvec
from multus_forensics.rowcut import RowCut, whole_reason

bench = repo_module("benchmarks/bench_pipeline.py")
nodegen = repo_module("benchmarks/nodegen.py")
CORPUS = ROOT / "tests" / "data" / "corpus_dev.jsonl"
SAMPLE_FILES = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file())


def _json(diag: Any) -> str:
    return "".join(json_pieces(diag))


def _masked(log: EventLog) -> EventLog:
    spec = keep_spec(load_catalog())
    return EventLog(log.frame.filter(diagnosis_mask(spec)), log.issues, log.stats)


def _premise(path: Path) -> bool:
    """The masked rows' diagnosis equals the whole input's, or the cut is refused; True when
    the cut would stand and dropped a row."""
    whole = mf.parse(str(path), on_error="collect")
    cut = _masked(whole)
    if whole_reason(cut, keep_spec(load_catalog())) is not None:
        return False  # refused: `diagnose` parses again whole
    assert _json(mf.diagnose(cut)) == _json(mf.diagnose(whole))
    return cut.frame.height < whole.frame.height


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_masked_rows_diagnose_like_the_whole_sample(sample: str) -> None:
    _premise(SAMPLES / sample)


REAL = ROOT / "tests" / "data" / "real"


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.iterdir() if p.suffix != ".md"))
def test_masked_rows_diagnose_like_the_whole_real_file(name: str) -> None:
    """Files from public repositories and bug threads (tests/data/real/README.md)."""
    _premise(REAL / name)


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.journal")))
def test_real_journals_among_a_nodes_chatter_cut_while_parsed_keep_their_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A real journal excerpt (nobody here wrote it) inside a generated node's chatter of many
    chunks: the chatter is cut, the excerpt's diagnosis stays."""
    # more lines than a batch of small journals takes (those are scanned together, uncut),
    # of a node where Multus writes no ADD to the journal (else the cut is refused)
    chatter = list(nodegen.node_journal(6000, random.Random(name), NO_MULTUS_WRITER))
    real = (REAL / name).read_text(encoding="utf-8").splitlines()
    lines = chatter[:1500] + real + chatter[1500:4000] + real + chatter[4000:]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 500)
    whole, cut = mf.parse(str(path)), _cut_parse([str(path)])
    assert cut.stats.files == whole.stats.files
    assert cut.cut is not None
    assert cut.cut.rows > 0
    assert cut.cut.whole is None
    diag = mf.diagnose(cut)
    assert diag.findings
    assert _json(diag) == _json(mf.diagnose(whole))


@pytest.mark.parametrize("folder", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_masked_rows_diagnose_like_the_whole_sample_folder(folder: str) -> None:
    _premise(SAMPLES / folder)


def test_the_mask_drops_rows_of_some_samples() -> None:
    """Not vacuous: samples whose chatter the mask drops, and whose diagnosis still holds."""
    cut = [s for s in SAMPLE_FILES if _premise(SAMPLES / s)]
    assert cut


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("record", _corpus(), ids=lambda r: str(r["id"]))
def test_masked_rows_diagnose_like_the_whole_excerpt(
    record: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "excerpt.txt"
    path.write_text(record["log"], encoding="utf-8")
    _premise(path)


def _busy_journal(tmp_path: Path, size: int = 1_200_000, seed: int = 7) -> Path:
    path = tmp_path / "kubelet.journal"
    with path.open("w", encoding="utf-8") as out:
        bench.gen_busy_journal(size, random.Random(seed), out, "node-a")
    return path


def _cut_parse(paths: list[str], **kwargs: Any) -> EventLog:
    return mf.parse(paths, cut=RowCut(keep_spec(load_catalog())), **kwargs)


@pytest.mark.parametrize("chunk", [257, 4096])
def test_a_journal_cut_while_parsed_keeps_its_statistics_and_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = _busy_journal(tmp_path)
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", chunk)
    whole = mf.parse(str(path))
    cut = _cut_parse([str(path)])
    assert cut.cut is not None
    assert cut.cut.whole is None
    assert cut.cut.rows > 0
    assert cut.frame.height + cut.cut.rows == whole.frame.height
    assert cut.stats.files == whole.stats.files  # lines, events, accounting: the whole file's
    assert [str(i) for i in cut.issues] == [str(i) for i in whole.issues]
    # every row the mask keeps is kept, equal column for column
    masked = whole.frame.filter(diagnosis_mask(keep_spec(load_catalog())))
    kept = cut.frame.join(masked.select("line"), on="line", how="semi")
    assert kept.equals(masked)
    assert _json(mf.diagnose(cut)) == _json(mf.diagnose(whole))


#: a node whose journal holds no Multus ADD line (a thin plugin logs to its own file)
NO_MULTUS_WRITER = nodegen.Shape(idents=tuple(i for i in nodegen.IDENTS if i[0] != "multus"))


@pytest.mark.parametrize(
    "shape", ["openshift worker", "many blocks, many restarts", "no multus writer"]
)
def test_real_shaped_journals_cut_while_parsed_keep_their_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    shapes = {
        "openshift worker": nodegen.Shape(),
        "many blocks, many restarts": nodegen.Shape(blocks=0.05, restarts=9),
        "no multus writer": NO_MULTUS_WRITER,
    }
    lines = list(nodegen.node_journal(6000, random.Random(shape), shapes[shape]))
    path = tmp_path / "node.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 500)
    whole, cut = mf.parse(str(path)), _cut_parse([str(path)])
    assert cut.stats.files == whole.stats.files
    assert cut.cut is not None
    assert cut.cut.whole is None
    if shape == "no multus writer":
        assert cut.cut.rows > 0
        assert _json(mf.diagnose(cut)) == _json(mf.diagnose(whole))
    else:  # Multus ADD lines in the journal: scanned again, uncut (its pods' rows give the
        # add order), and no other input needs parsing again
        assert cut.cut.rows == 0
        assert cut.frame.equals(whole.frame)


@pytest.mark.parametrize("multus_first", [False, True])
def test_interface_adds_in_another_input_refuse_a_cut_or_stop_the_cutting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, multus_first: bool
) -> None:
    """Adds in a Multus log make the add order read the journal's rows of those pods: a
    journal cut before them makes the whole input needed; after them, nothing is cut (its cut
    could only be refused), so nothing is parsed twice."""
    journal = _busy_journal(tmp_path)
    multus = SAMPLES / "seed" / "multus.log"
    inputs = [str(multus), str(journal)] if multus_first else [str(journal), str(multus)]
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 1024)
    cut = _cut_parse(inputs)
    assert cut.cut is not None
    if multus_first:
        assert cut.cut.rows == 0
        assert cut.cut.whole is None
        assert cut.frame.equals(mf.parse(inputs).frame)
    else:
        assert cut.cut.rows > 0
        assert cut.cut.whole is not None
        assert "interface adds" in cut.cut.whole


def test_diagnose_command_output_is_the_same_with_the_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end, with and without an input that refuses the cut (then parsed again whole)."""
    journal = _busy_journal(tmp_path)
    multus = SAMPLES / "seed" / "multus.log"
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 1024)
    for inputs in ([str(journal)], [str(journal), str(multus)]):
        main(["diagnose", "--json", *inputs])
        with_cut = capsys.readouterr().out
        whole = mf.diagnose(mf.parse(inputs))
        assert with_cut == _json(whole) + "\n"


def test_a_year_checked_against_the_head_keeps_the_head_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--year`` the year check reads the stream's first rows: they are all kept."""
    from multus_forensics import rowcut

    path = _busy_journal(tmp_path)
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 512)
    monkeypatch.setattr(rowcut, "HEAD_LINES", 900)
    cut = _cut_parse([str(path)], year=2026)
    whole = mf.parse(str(path), year=2026)
    head = whole.frame.filter(pl.col("line") <= 900)
    assert cut.frame.filter(pl.col("line") <= 900).equals(head)
    assert cut.cut is not None
    # 900 lines hold fewer events than the check reads: the cut says the whole input is needed
    assert cut.cut.whole is not None
    assert "year check" in cut.cut.whole


def test_the_diagnose_command_parses_standard_input_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _busy_journal(tmp_path, size=60_000)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    main(["diagnose", "--json", "-"])
    assert json.loads(capsys.readouterr().out)["stats"]["lines"] > 0


@pytest.mark.parametrize("glog", [True, False])
def test_a_bare_klog_file_cut_while_parsed_keeps_its_statistics_and_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, glog: bool
) -> None:
    """The bare klog path cuts its chunks the same way (with a glog preamble, the year is
    checked against the file's header: its first lines are kept whole)."""
    from multus_forensics import rowcut
    from multus_forensics.ingest import content_years

    lines = list(nodegen.klog_file(6000, random.Random(11), restarts=3, glog=glog))
    # a failing sandbox among the chatter, so that the diagnosis has a finding to keep
    lines[3000:3000] = [
        'E0228 01:00:00.000001    1234 pod_workers.go:1301] "Error syncing pod, skipping" '
        'err="failed to \\"CreatePodSandbox\\" for \\"web-1_lab(0d0c0b0a-1111-2222-3333-444455556666)\\" '
        'with CreatePodSandboxError: \\"Failed to create sandbox for pod: rpc error: code = Unknown '
        'desc = failed to setup network for sandbox \\\\\\"abc\\\\\\": plugin type=\\\\\\"multus\\\\\\" '
        'name=\\\\\\"multus-cni-network\\\\\\" failed (add): [lab/web-1/0d0c0b0a-1111-2222-3333-444455556666:macvlan-conf]: '
        'error adding container to network \\\\\\"macvlan-conf\\\\\\": Link not found\\"" pod="lab/web-1"'
    ]
    path = tmp_path / "kubelet.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 700)
    monkeypatch.setattr(rowcut, "HEAD_LINES", 100)
    # the year check reads the first 50 rows: 100 lines hold them
    monkeypatch.setattr(content_years, "STEP_ROWS", 50)
    whole, cut = mf.parse(str(path), format="klog"), _cut_parse([str(path)], format="klog")
    assert cut.cut is not None
    assert cut.cut.rows > 0
    assert cut.cut.whole is None
    assert cut.stats.files == whole.stats.files
    masked = whole.frame.filter(diagnosis_mask(keep_spec(load_catalog())))
    assert cut.frame.join(masked.select("line"), on="line", how="semi").equals(masked)
    if glog:  # the header's year is checked: the first lines are all kept
        head = pl.col("line") <= 100
        assert cut.frame.filter(head).equals(whole.frame.filter(head))
    diag = mf.diagnose(cut)
    assert diag.findings
    assert _json(diag) == _json(mf.diagnose(whole))


def test_the_head_kept_whole_covers_the_rows_a_year_check_reads() -> None:
    from multus_forensics import rowcut
    from multus_forensics.ingest import content_years

    assert rowcut.HEAD_LINES > content_years.STEP_ROWS


def test_the_sign_literals_hold_every_multus_sign_the_classifier_looks_for(tmp_path: Path) -> None:
    """The cut finds Multus signs by literals; every row the signs' patterns match is kept."""
    from multus_forensics.classify.abstain import multus_mentions
    from multus_forensics.classify.predicates import _MULTUS_ALIVE

    spec = keep_spec(load_catalog())
    frames = [mf.parse(str(SAMPLES / d), on_error="collect").frame for d in ("multus", "seed")]
    frames.append(mf.parse(str(_busy_journal(tmp_path))).frame)
    signs = multus_mentions() | pl.col("raw").str.contains(_MULTUS_ALIVE.pattern)
    for frame in frames:
        signed = frame.filter(signs)
        assert signed.height
        assert signed.select(diagnosis_mask(spec).all()).item()


def test_a_containerd_log_cut_while_parsed_keeps_its_statistics_and_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runtime scan (containerd, CRI-O) cuts its chunks too; logrus stamps carry their
    year, so no head is kept whole."""
    from multus_forensics.formats.runtime import _runtimefast

    runtime = repo_module("benchmarks/bench_runtime.py")
    sandboxes = io.StringIO()
    runtime.gen_containerd(4000, random.Random(3), sandboxes)
    # containerd's own chatter between them (messages of containerd 1.7's daemon and shims)
    chatter = [
        'msg="ImageCreate event name:\\"registry.k8s.io/pause:3.9\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}"',
        'msg="shim disconnected" id=4a1f0c9e2b7d namespace=k8s.io',
        'msg="cleaning up after shim disconnected" id=4a1f0c9e2b7d namespace=k8s.io',
        'msg="cleaning up dead shim" namespace=k8s.io',
        'msg="loading plugin \\"io.containerd.grpc.v1.cri\\"..." type=io.containerd.grpc.v1',
        'msg="TaskExit event container_id:\\"4a1f0c9e2b7d\\" exit_status:0"',
    ]
    lines = []
    for i, line in enumerate(sandboxes.getvalue().splitlines()):
        lines.append(line)
        for k in range(2):
            when = f"2026-03-11T13:{(i // 60) % 60:02d}:{i % 60:02d}.{k:09d}Z"
            lines.append(f'time="{when}" level=info {chatter[(i + k) % len(chatter)]}')
    path = tmp_path / "containerd.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_runtimefast, "SCAN_ROWS", 1024)
    whole, cut = mf.parse(str(path)), _cut_parse([str(path)])
    assert whole.stats.files[0].format == "containerd"
    assert cut.cut is not None
    assert cut.cut.rows > 0
    assert cut.cut.whole is None
    assert cut.stats.files == whole.stats.files
    assert [str(i) for i in cut.issues] == [str(i) for i in whole.issues]
    masked = whole.frame.filter(diagnosis_mask(keep_spec(load_catalog())))
    assert cut.frame.join(masked.select("line"), on="line", how="semi").equals(masked)
    diag = mf.diagnose(cut)
    assert diag.findings
    assert _json(diag) == _json(mf.diagnose(whole))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10**6),
    hosts=st.sampled_from([("worker-0",), ("worker-0", "worker-1", "master-2.example")]),
    day_pad=st.sampled_from(["0", " "]),
    precise=st.booleans(),
    blocks=st.sampled_from([0.0, 0.004, 0.05]),
    restarts=st.integers(0, 6),
    multus_writer=st.booleans(),
    new_year=st.booleans(),
    chunk=st.sampled_from([300, 700, 2048]),
    year=st.sampled_from([None, 2026]),
)
def test_any_node_journal_cut_while_parsed_diagnoses_like_the_whole(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    hosts: tuple[str, ...],
    day_pad: str,
    precise: bool,
    blocks: float,
    restarts: int,
    multus_writer: bool,
    new_year: bool,
    chunk: int,
    year: int | None,
) -> None:
    """Journals varying every real-world dimension the generator has, with a busy node's
    failing sandboxes among them: the cut parse's statistics are the whole file's, and its
    diagnosis is the whole file's unless the cut was refused (then ``diagnose`` reads it whole)."""
    from datetime import UTC, datetime

    from multus_forensics import rowcut

    idents = nodegen.IDENTS if multus_writer else NO_MULTUS_WRITER.idents
    start = (
        datetime(2025, 12, 31, 23, 58, tzinfo=UTC)
        if new_year
        else datetime(2026, 3, 1, 9, tzinfo=UTC)
    )
    shape = nodegen.Shape(
        hosts=hosts, idents=idents, day_pad=day_pad, precise=precise, blocks=blocks,
        restarts=restarts, start=start,
    )  # fmt: skip
    rng = random.Random(seed)
    lines = list(nodegen.node_journal(5000, rng, shape))
    failing = io.StringIO()
    bench.gen_busy_journal(120_000, rng, failing, hosts[0])
    at = rng.randrange(len(lines))
    lines[at:at] = failing.getvalue().splitlines()
    path = tmp_path_factory.mktemp("cut") / "node.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_journalvec, "CHUNK_ROWS", chunk)
        mp.setattr(rowcut, "HEAD_LINES", 1200)
        from multus_forensics.ingest import content_years

        mp.setattr(content_years, "STEP_ROWS", 1000)  # (a year check reads 1,000 rows)
        whole = mf.parse(str(path), year=year)
        cut = _cut_parse([str(path)], year=year)
        assert cut.stats.files == whole.stats.files
        assert [str(i) for i in cut.issues] == [str(i) for i in whole.issues]
        assert cut.cut is not None
        if cut.cut.whole is None:
            assert _json(mf.diagnose(cut)) == _json(mf.diagnose(whole))
        if not multus_writer:  # nothing to refuse for: rows were cut, the diagnosis kept
            assert cut.cut.rows > 0
            assert cut.cut.whole is None
    finally:
        mp.undo()
