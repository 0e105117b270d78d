"""Evidence names the archive member and shows the part of the record that decided."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

import multus_forensics as mf
from multus_forensics.classify.findings import Evidence, window
from multus_forensics.cli import main
from multus_forensics.report import write_report

SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"
#: a kubelet record whose decisive text (the leaf error) sits 500+ characters in
LONG = (
    "Mar 11 13:02:43 node-1 kubelet[2231]: E0311 13:02:43.418552    2231 remote_runtime.go:116] "
    '"RunPodSandbox from runtime service failed" err="rpc error: code = Unknown desc = failed to '
    'setup network for sandbox \\"' + "ab" * 32 + '\\": plugin type=\\"multus\\" '
    'name=\\"multus-cni-network\\" failed (add): [lab/probe-6d8f9c7b54-qwz4n/'
    "7ad2f92f-2377-4b79-8201-15fd0290181a:macvlan-conf]: error adding container to network "
    '\\"macvlan-conf\\": DelegateAdd: cannot set \\"macvlan\\" interface name to \\"net1\\": '
    'validateIfName: interface name net1 already exists"\n'
)


def _bundle(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for node in ("node-1", "node-2"):
            data = ("Mar 11 13:02:40 node-1 kubelet[2231]: I0311 13:02:40.000001    2231 x.go:1] "
                    '"start"\n' + LONG).encode()  # fmt: skip
            info = tarfile.TarInfo(f"{node}/journal/kubelet.log")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_window_is_centred_on_the_anchor_and_marks_its_cuts() -> None:
    text = "a" * 1000 + "DECISIVE" + "b" * 1000
    shown = window(text, ["DECISIVE"], limit=100)
    assert shown.startswith("…")
    assert shown.endswith("…")
    assert "DECISIVE" in shown
    assert len(shown) == 102
    assert window("short", ["x"]) == "short"
    assert window("x" * 500, ["absent"], limit=10) == "x" * 10 + "…"


def test_evidence_from_an_archive_names_the_member(tmp_path: Path) -> None:
    diag = mf.diagnose(str(_bundle(tmp_path)), year=2026)
    evidence = diag[0].evidence
    where = {e.where for e in evidence}
    assert where == {
        f"{tmp_path / 'bundle.tar.gz'}!node-1/journal/kubelet.log:2",
        f"{tmp_path / 'bundle.tar.gz'}!node-2/journal/kubelet.log:2",
    }
    item = evidence[0].to_dict()
    assert (item["file"], item["member"], item["line"]) == (
        str(tmp_path / "bundle.tar.gz"),
        "node-1/journal/kubelet.log",
        2,
    )
    assert item["full_text"] == LONG.rstrip("\n")


def test_shown_text_holds_the_leaf_error_of_a_long_record(tmp_path: Path) -> None:
    diag = mf.diagnose(str(_bundle(tmp_path)), year=2026)
    for e in diag[0].evidence:
        assert len(e.full) > 500
        assert "interface name net1 already exists" in e.text
        assert e.text.startswith("…")


def test_seed_case_evidence_shows_already_exists() -> None:
    diag = mf.diagnose(str(SEED), year=2026)
    top = diag[0]
    assert top.root_cause == "multus_self_delegation"
    shows = [e for e in top.evidence if "already exists" in e.text]
    holds = [e for e in top.evidence if "already exists" in e.full]
    assert len(shows) == len(holds) >= 19


def test_cli_shows_the_window_and_full_evidence_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = str(_bundle(tmp_path))
    assert main(["diagnose", bundle, "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert f"{bundle}!node-2/journal/kubelet.log:2 (match):" in out
    assert "…" in out
    assert main(["diagnose", bundle, "--year", "2026", "--full-evidence"]) == 0
    full = capsys.readouterr().out
    assert LONG.rstrip("\n") in full


def test_html_report_keeps_the_whole_record_behind_a_click(tmp_path: Path) -> None:
    [page] = write_report(
        [str(_bundle(tmp_path))], tmp_path / "out", options=None, progress=False, plots=False
    )
    html = page.read_text()
    assert "!node-1/journal/kubelet.log:2" in html
    assert "<summary>whole record</summary>" in html


def test_evidence_json_has_file_member_line() -> None:
    e = Evidence("b.tar.gz", 7, "x", member="n/kubelet.log", full="xyz")
    assert json.loads(json.dumps(e.to_dict())) == {
        "where": "b.tar.gz!n/kubelet.log:7",
        "file": "b.tar.gz",
        "member": "n/kubelet.log",
        "line": 7,
        "text": "x",
        "full_text": "xyz",
        "claim": "match",
    }


def _cite_inputs() -> list[Path]:
    root = Path(__file__).resolve().parent.parent
    samples = sorted(p for p in (root / "sample_logs").iterdir() if p.is_dir())
    return [*samples, root / "tests" / "data" / "real", root / "tests" / "data" / "no_multus"]


@pytest.mark.parametrize("path", _cite_inputs(), ids=lambda p: p.name)
def test_rows_cited_by_position_give_the_evidence_their_views_give(path: Path) -> None:
    """Every row of the input cited as context: read from the columns (no view, one gather)
    and through its view must give the same evidence items, pods and nodes; only rows with an
    error text (a chain to centre the window on, a pod it may name) become views."""
    from multus_forensics.classify.context import Context, error_rows
    from multus_forensics.classify.evidence import cite

    frame = mf.parse(str(path), year=2026).frame
    viewed = Context.of_frame(frame)
    everything = range(viewed.size)
    by_view = cite(viewed, {i: (v, "context") for i, v in enumerate(viewed.views)}, {})
    columnar = Context.of_frame(frame)
    by_column = cite(columnar, dict.fromkeys(everything, (None, "context")), {})
    assert by_column == by_view
    assert len(by_column.evidence) == viewed.size
    assert set(columnar.materialised) == set(columnar.positions(error_rows()))
    assert set(columnar.materialised) < set(everything)  # some rows were read from the columns
