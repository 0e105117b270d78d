"""A bundle's streams cut to the rows a diagnosis reads diagnose like the whole kept bundle.

``diagnose`` of a bundle parses its streams on workers (:func:`multus_forensics.batch.streams.parse_streams`
with ``cut=True``): each worker sends back only the rows a diagnosis reads when no stream has an
interface add, and spills the stream's other kept rows; if any stream has an add, every spill is
read back. These tests hold both branches on real ``.tar.gz`` bundles, on one worker and on a
real two-process pool: the same diagnosis, fewer rows when no add, every row when one, no spill
file left behind.
"""

from __future__ import annotations

import random
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES, repo_module

import multus_forensics as mf
from multus_forensics.batch import ParseOptions
from multus_forensics.batch.compact import keep_spec
from multus_forensics.batch.streams import StreamedLog, parse_streams
from multus_forensics.classify import load_catalog
from multus_forensics.cli import main
from multus_forensics.commands.diagnose import json_pieces
from multus_forensics.rowcut import ADDS_NEED_ROWS

nodegen = repo_module("benchmarks/nodegen.py")
REAL = ROOT / "tests" / "data" / "real"
#: a node where Multus writes no ADD to the journal (an add anywhere needs every row)
NO_MULTUS_WRITER = nodegen.Shape(idents=tuple(i for i in nodegen.IDENTS if i[0] != "multus"))


def _json(diag: Any) -> str:
    return "".join(json_pieces(diag))


def _bundle(tmp_path: Path, extra: dict[str, Path] | None = None) -> Path:
    """A must-gather-shaped ``.tar.gz``: three nodes' journals of generated chatter, each with
    real journal excerpts (nobody here wrote them) inside, and ``extra`` members."""
    real = [p.read_text(encoding="utf-8").splitlines() for p in sorted(REAL.glob("*.journal"))]
    path = tmp_path / "must-gather.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for n in range(3):
            chatter = list(nodegen.node_journal(5000, random.Random(n), NO_MULTUS_WRITER))
            lines = chatter[:2000] + real[n % len(real)] + chatter[2000:] + real[-1 - n]
            member = tmp_path / f"node-{n}.journal"
            member.write_text("\n".join(lines) + "\n", encoding="utf-8")
            tar.add(member, arcname=f"must-gather/nodes/worker-{n}/journal/kubelet.log")
        for arcname, source in (extra or {}).items():
            tar.add(source, arcname=arcname)
    return path


def _parse(path: Path, workers: int, cut: bool) -> StreamedLog:
    return parse_streams(
        [str(path)],
        ParseOptions(),
        keep=keep_spec(load_catalog()),
        match=True,
        cut=cut,
        workers=workers,
    )


@pytest.fixture
def spill_dirs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The spill directories made while a test runs (each must be gone when the parse ends)."""
    made: list[str] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        path = real(*args, **kwargs)
        if str(kwargs.get("prefix", "")).startswith("multus-forensics-spill-"):
            made.append(path)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return made


@pytest.mark.parametrize("workers", [1, 2])
def test_a_bundle_without_adds_is_cut_and_diagnoses_like_the_whole(
    tmp_path: Path, spill_dirs: list[str], workers: int
) -> None:
    path = _bundle(tmp_path)
    whole, cut = _parse(path, workers, cut=False), _parse(path, workers, cut=True)
    assert cut.log.stats.files == whole.log.stats.files
    assert cut.log.cut is not None
    assert cut.log.cut.whole is None
    assert cut.log.frame.height + cut.log.cut.rows == whole.log.frame.height
    assert cut.log.frame.height < whole.log.frame.height / 2  # chatter dropped
    diag = mf.diagnose(cut.log)
    assert diag.findings  # the real excerpts' findings
    assert _json(diag) == _json(mf.diagnose(whole.log))
    assert spill_dirs
    assert not any(Path(d).exists() for d in spill_dirs)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_add_in_one_stream_brings_back_every_streams_rows(
    tmp_path: Path, spill_dirs: list[str], workers: int
) -> None:
    """The add order reads its pods' rows in every stream: a Multus log with adds in one member
    makes every spilled stream come back whole."""
    multus = {"must-gather/nodes/worker-0/multus/multus.log": SAMPLES / "seed" / "multus.log"}
    path = _bundle(tmp_path, multus)
    whole, cut = _parse(path, workers, cut=False), _parse(path, workers, cut=True)
    assert cut.log.cut is None
    assert cut.log.frame.equals(whole.log.frame)
    assert _json(mf.diagnose(cut.log)) == _json(mf.diagnose(whole.log))
    assert spill_dirs
    assert not any(Path(d).exists() for d in spill_dirs)


def test_the_stream_with_the_add_says_why(tmp_path: Path) -> None:
    from multus_forensics.batch.streams import StreamTask, parse_stream_task
    from multus_forensics.ingest import iter_inputs

    spec = keep_spec(load_catalog())
    raws = [item for _, item in iter_inputs([str(SAMPLES / "seed" / "multus.log")], None)]
    spill = str(tmp_path / "spill.arrow")
    result = parse_stream_task(StreamTask(raws[0], spill=spill), ParseOptions(), spec, cut=True)
    assert result.whole == ADDS_NEED_ROWS
    assert result.spill is None
    assert not Path(spill).exists()


def test_diagnose_of_a_bundle_prints_the_same_with_and_without_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bundle(tmp_path)
    outs = []
    for workers in ("1", "2"):
        code = main(["diagnose", str(path), "--json", "-q", "-j", workers])
        out, err = capsys.readouterr()
        assert code == 0, err
        outs.append(out)
    whole = _parse(path, 1, cut=False)
    assert outs[0] == outs[1] == _json(mf.diagnose(whole.log)) + "\n"
