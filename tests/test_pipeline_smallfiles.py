"""Many small files in one ``parse`` call give, row for row, what each gives parsed alone.

``parse`` runs the passes after the formats (pod references, content years, bundle years, order)
once over all streams (``multus_forensics.postparse``); these tests hold it to the per-stream
result on real excerpts (``tests/data/real``, sources in its README) and the seed samples split
into small files, over journald kubelet, bare klog, containerd, Multus log and describe output.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import repo_module

from multus_forensics import postparse, sniffgroup
from multus_forensics.eventlog import EventLog
from multus_forensics.ingest import RawStream, iter_inputs
from multus_forensics.ingest.years import reanchor_bundle
from multus_forensics.pipeline import parse

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
SEED = ROOT / "sample_logs" / "seed"
#: every excerpt whole (header years, content years, old pod references, glog preambles)
WHOLE = sorted(p for p in REAL.iterdir() if p.name != "README.md")
#: seed samples cut into files of this many lines (blocks and records cut at the edges too)
CUT = 4
#: year-less streams read their year from this file time unless something stronger says
MTIME = datetime(2026, 7, 1, tzinfo=UTC).timestamp()


def _small_files(root: Path) -> list[Path]:
    """The real excerpts whole and the seed samples in pieces, each in a folder of its own."""
    paths: list[Path] = []
    for k, src in enumerate(WHOLE):
        paths.append(_put(root / f"real{k}" / src.name, src.read_text(encoding="utf-8")))
    for src in sorted(SEED.iterdir()):
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        if src.name == "describe.txt":  # one object per file: cut, it is no describe output
            paths.append(_put(root / "describe" / src.name, "".join(lines)))
            continue
        for k in range(0, len(lines), CUT):
            name = f"{src.stem}-{k // CUT:02d}{src.suffix}"
            paths.append(
                _put(root / f"{src.stem}{k // CUT:02d}" / name, "".join(lines[k : k + CUT]))
            )
    return paths


def _put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (MTIME, MTIME))
    return path


def _same(together: EventLog, alone: list[EventLog]) -> None:
    frames = [log.frame for log in alone if log.frame.height]
    expected = pl.concat(frames, how="vertical")
    assert together.frame.schema == expected.schema
    assert together.frame.to_dicts() == expected.to_dicts()
    assert together.issues == [issue for log in alone for issue in log.issues]
    assert together.stats.files == [fs for log in alone for fs in log.stats.files]


@pytest.mark.parametrize("defer", [postparse.DEFER_MAX_ROWS, 5], ids=["batched", "mixed"])
@pytest.mark.parametrize("year", [None, 2026], ids=["years-from-files", "year-argument"])
def test_small_files_together_equal_each_parsed_alone(
    tmp_path: Path, year: int | None, defer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mixed``: streams of more than 5 events take their passes at once, beside the others."""
    monkeypatch.setattr(postparse, "DEFER_MAX_ROWS", defer)
    paths = [str(p) for p in _small_files(tmp_path)]
    together = parse(paths, year=year, on_error="collect")
    alone = [parse(p, year=year, on_error="collect") for p in paths]
    _same(together, alone)
    formats = set(together.frame["format"].unique().to_list())
    assert {"journald", "klog", "containerd", "multus-log", "kubectl-describe"} <= formats
    sources = set(together.frame["year_source"].drop_nulls().unique().to_list())
    if year is None:  # the passes this is about did something
        assert {"content", "file-header", "file-mtime"} <= sources
    else:
        assert sources == {"argument"}
        # the excerpt whose messages date it 2025 contradicts year=2026: one note, kept in place
        assert any("disagrees" in i.reason for i in together.issues)
    assert together.frame["pod"].drop_nulls().len() > 0


def test_one_bundle_of_small_files_is_reanchored_as_one(tmp_path: Path) -> None:
    """A folder is one bundle: its year-less streams move onto its full stamps, as
    :func:`reanchor_bundle` moves the concatenation of the streams each parsed alone."""
    folder = tmp_path / "node"
    folder.mkdir()
    for p in _small_files(tmp_path / "parts"):
        if p.suffix in (".journal", ".log"):
            shutil.copy(p, folder / p.name)
    for p in folder.iterdir():
        os.utime(p, (datetime(2024, 7, 1, tzinfo=UTC).timestamp(),) * 2)  # a wrong mtime year
    together = parse(str(folder), on_error="collect")
    order = [fs.file for fs in together.stats.files]
    alone = [parse(p, on_error="collect") for p in order]
    frames = [log.frame for log in alone if log.frame.height]
    expected = reanchor_bundle(pl.concat(frames, how="vertical"))
    assert together.frame.to_dicts() == expected.to_dicts()
    moved = together.frame.filter(pl.col("year_source") == "bundle")
    assert moved.height
    # onto years the bundle's full stamps have (2026 and the 2025 of a thick Multus log)
    full = together.frame.filter(pl.col("year_source").is_null() & pl.col("time").is_not_null())
    assert set(moved["time"].dt.year().to_list()) <= set(full["time"].dt.year().to_list())
    assert 2026 in set(moved["time"].dt.year().to_list())


def _cut(root: Path, name: str, lines: list[str], rng: random.Random) -> list[str]:
    """``lines`` cut at random places (blocks cut too) into files of 1 to 120 lines."""
    paths, at, k = [], 0, 0
    while at < len(lines):
        n = rng.choice((1, 3, 9, 10, 15, 16, 40, 100, 120))
        paths.append(str(_put(root / f"{name}-{k:03d}.journal", "".join(lines[at : at + n]))))
        at, k = at + n, k + 1
    return paths


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_generated_node_journals_cut_small_equal_each_parsed_alone(
    tmp_path: Path, tz: str | None
) -> None:
    """Many writers and hosts, restarts, crossed blocks cut between files, a year rollover
    (the second journal starts on Dec 31), pieces of 1 to 120 lines, two zones."""
    nodegen = repo_module("benchmarks/nodegen.py")
    rng = random.Random(16)
    shapes = [
        nodegen.Shape(hosts=("master-0", "worker-1"), precise=True, restarts=3, blocks=0.05),
        nodegen.Shape(
            day_pad=" ", start=datetime(2025, 12, 31, 23, 59, 45, tzinfo=UTC), blocks=0.05
        ),
    ]
    paths: list[str] = []
    for k, shape in enumerate(shapes):
        lines = [line + "\n" for line in nodegen.node_journal(1500, rng, shape)]
        paths += _cut(tmp_path, f"node{k}", lines, rng)
    together = parse(paths, tz=tz, on_error="collect")
    alone = [parse(p, tz=tz, on_error="collect") for p in paths]
    _same(together, alone)
    assert together.frame.height > 2500
    assert {"master-0", "worker-1"} <= set(together.frame["node"].unique().to_list())
    assert set(together.frame["time"].dt.year().unique().to_list()) == {2025, 2026}


#: a 10-line piece of a journal cut through two blocks: the first line closes one, the last
#: three open the next. Alone (under 16 lines) the careful path reads it whole and judges its
#: order from all its records; in a batch it must get exactly that, not the fast path's guess.
CUT_BLOCKS = """\
Mar 11 14:15:39 edge-node-2 kubelet[2231]:  > pod="monitoring/app37"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: I0311 14:15:39.863220    2231 kubelet.go:2424] "SyncLoop UPDATE" source="api" pods=["lab/app4"]
Mar 11 14:15:39 edge-node-2 kubelet[2231]: I0311 14:15:39.865194    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/app4"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: I0311 14:15:39.907565    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/app5"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: I0311 14:15:39.917539    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/app6"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: W0311 14:15:39.963015    2231 reflector.go:539] watch of *v1.Pod ended with: an error on the server
Mar 11 14:15:39 edge-node-2 kubelet[2231]: I0311 14:15:39.980575    2231 kubelet.go:2453] "SyncLoop (PLEG): event for pod" pod="lab/app7"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: E0311 14:15:39.989833    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err=<
Mar 11 14:15:39 edge-node-2 kubelet[2231]: \trpc error: code = Unknown desc = failed to setup network for sandbox "5ce1"
Mar 11 14:15:39 edge-node-2 kubelet[2231]: \t': StdinData: {"cniVersion":"0.3.1","name":"multus-cni-network"}
"""


def test_a_short_piece_cut_through_blocks_reads_as_it_does_alone(tmp_path: Path) -> None:
    first = _put(tmp_path / "a" / "piece.journal", CUT_BLOCKS)
    second = _put(tmp_path / "b" / "seed.journal", (SEED / "kubelet.journal").read_text())
    paths = [str(first), str(second), str(first)]
    together = parse(paths, year=2026, on_error="collect")
    _same(together, [parse(p, year=2026, on_error="collect") for p in paths])


def _journal_pieces(root: Path) -> list[Path]:
    """Real journals (tests/data/real) and the seed journal cut into pieces of 1 to 4 lines,
    their headers cut off with the first piece: journald files a folder holds by the dozen."""
    paths: list[Path] = []
    sources = [*sorted(REAL.glob("*.journal")), SEED / "kubelet.journal"]
    for src in sources:
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        for k, at in enumerate(range(0, len(lines), 4)):
            piece = "".join(lines[at : at + 1 + k % 4])
            paths.append(_put(root / f"{src.stem}-{k:02d}.journal", piece))
    return paths


#: files that look like the journald pieces around them (same suffix) but are something else,
#: or are journald in a shape the batch does not take: each must be read as it is alone
def _look_alikes(root: Path) -> list[Path]:
    seed = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines(keepends=True)
    body = "".join(seed[1:9])
    klog = (REAL / "plaso_googlelog_test.INFO").read_text(encoding="utf-8")
    iso = "".join(
        f"2026-03-11T13:0{k}:00+0100 edge-node-2 kubelet[2231]: I0311 13:0{k}:00.000000    2231 "
        f'util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/a{k}"\n'
        for k in range(4)
    )
    texts: dict[str, str | bytes] = {
        "aa-klog.journal": klog,  # bare klog under a journal's name: sniffed, not batched
        "ab-pasted.journal": "".join("> " + line for line in seed[1:9]),
        "ac-numbered.journal": "".join(f"{k + 1:4d} | {line}" for k, line in enumerate(seed[1:9])),
        "ad-header.journal": seed[0] + body,
        "ae-script.journal": "#!/bin/sh\nset -e\necho " + body.replace("\n", " ") + "\n",
        "af-tool.py": "import os\n\n\ndef main():\n    return os.getcwd()\n",
        "ag-empty.journal": "",
        "ah-blank.journal": "\n  \n\t\n",
        "ai-iso.journal": iso,
        "aj-crlf.journal": body.replace("\n", "\r\n"),
        "ak-latin.journal": body.encode()
        + b"Mar 11 13:05:00 edge-node-2 kubelet[2231]: \xe9t\xe9\n",
        "al-leading-space.journal": " " + body,
        "am-german.journal": body.replace("Mar 11", "Mär 11"),
        "an-notes.journal": "Notes from the node:\n" + body,
        "ao-multus.log.journal": (SEED / "multus.log").read_text(encoding="utf-8"),
    }
    root.mkdir(parents=True)
    paths = []
    for name, text in texts.items():
        data = text if isinstance(text, bytes) else text.encode()
        path = root / name
        path.write_bytes(data)
        os.utime(path, (MTIME, MTIME))
        paths.append(path)
    good = gzip.compress(body.encode())
    for name, data in (("ap-bad.journal.gz", good[:10] + b"\x00garbage" * 4),
                       ("aq-cut.journal.gz", good[: len(good) // 2]),
                       ("ar-whole.journal.gz", good)):  # fmt: skip
        (root / name).write_bytes(data)
        os.utime(root / name, (MTIME, MTIME))
        paths.append(root / name)
    return paths


@pytest.mark.parametrize("year", [None, 2026], ids=["years-from-files", "year-argument"])
def test_look_alikes_among_many_journal_pieces_read_as_each_alone(
    tmp_path: Path, year: int | None
) -> None:
    """Pieces of real journals decided as a group (``sniffgroup``), with files among them that
    share their suffix but are another format, decorated, a script, empty, blank, damaged or
    compressed: each file's verdict, events and issues are those it gets parsed alone, and
    every file is accounted."""
    pieces = _journal_pieces(tmp_path / "pieces")
    odd = _look_alikes(tmp_path / "odd")
    paths = [str(p) for p in sorted([*pieces, *odd], key=lambda p: p.name)]
    known = [
        item.file
        for _, item, fmt, _ in sniffgroup.grouped(iter_inputs(paths), None)
        if fmt is not None
    ]
    # the group decision did something, and left every look-alike to be decided alone but
    # those that are plain journald after all (a note line above records, a gzip's content)
    assert len(known) >= len(pieces) // 2
    plain = ("an-notes.journal", "aq-cut.journal.gz", "ar-whole.journal.gz")
    assert not {str(p) for p in odd if p.name not in plain} & set(known)
    together = parse(paths, year=year, on_error="collect")
    alone = [parse(p, year=year, on_error="collect") for p in paths]
    _same(together, alone)
    assert {fs.file for fs in together.stats.files} | {
        i.file for i in together.issues if i.lost
    } == set(paths)
    by_file = {fs.file: fs for fs in together.stats.files}
    assert by_file[str(tmp_path / "odd" / "aa-klog.journal")].format == "klog"
    assert by_file[str(tmp_path / "odd" / "ae-script.journal")].not_log
    assert by_file[str(tmp_path / "odd" / "af-tool.py")].not_log
    assert by_file[str(tmp_path / "odd" / "ab-pasted.journal")].format == "journald"
    assert any("pasted text" in i.reason for i in together.issues)
    assert any("gzip stream is damaged" in i.reason or "truncated" in i.reason
               for i in together.issues if i.file.endswith("ap-bad.journal.gz"))  # fmt: skip


def test_group_admission_agrees_with_each_file_decided_alone(tmp_path: Path) -> None:
    """``admit_many`` says yes only where paste detection, detection and ``batchable`` each
    say so for the file alone; generated heads mix records, decorations, markers, blank and
    white-space lines, other stamps and programs."""
    from multus_forensics.formats.base import ParseContext
    from multus_forensics.ingest import RawStream, decode
    from multus_forensics.ingest.paste import strip_paste_decoration
    from multus_forensics.pipeline import _choose
    from multus_forensics.registry import get_format

    rng = random.Random(5)
    record = (SEED / "kubelet.journal").read_text().splitlines()[1:]
    other = [
        "-- Boot 5c1e9a2b0d7f4e21a7cc1e3b9f0e4d11 --",
        "I0311 13:01:40.118204    2231 kubelet.go:2424] \"SyncLoop ADD\"",
        "2026-03-11T13:01:40+0100 edge-node-2 kubelet[2231]: I0311 hello",
        "Mär 11 13:01:40 edge-node-2 kubelet[2231]: hallo",
        "Mar 11 13:01:40 edge-node-2: no identifier",
        "Mar 1 13:01:40 edge-node-2 kubelet[2231]: one space, one digit",
        "Mar  1 13:01:40.123456 edge-node-2 kubelet: padded, precise",
        "Marx 11 13:01:40 edge-node-2 kubelet[2231]: not a month",
        "    continued text", "\tat main.go:12", "", "   ", "> quoted", "12: numbered",
        "def main():", "}", "*emphasis*", "~~~", "# comment", "time=\"x\" level=info msg=y",
        record[0] + "\r", record[1] + "\x00", "\x1fseparator", "\x0bvertical tab",
    ]  # fmt: skip
    datas: list[bytes] = []
    for _ in range(400):
        n = rng.choice((1, 2, 3, 5, 10, 20, 25, 60))
        share = rng.choice((1.0, 0.9, 0.6, 0.4, 0.2, 0.0))
        lines = [
            rng.choice(record) if rng.random() < share else rng.choice(other) for _ in range(n)
        ]
        datas.append(("\n".join(lines) + rng.choice(("\n", ""))).encode())
    fmt = get_format("journald")
    verdicts = fmt.admit_many(datas)
    assert 0 < sum(v is not None for v in verdicts) < len(datas)
    for data, counted in zip(datas, verdicts, strict=True):
        src, issues = decode(RawStream("x.journal", data, name="x.journal"))
        stripped, pasted = strip_paste_decoration(src)
        _, chosen, _ = _choose(stripped, None, "x.journal")
        alone = (
            not issues
            and not pasted
            and stripped is src
            and chosen is fmt
            and fmt.batchable(src, ParseContext())
        )
        assert alone or counted is None, data
        assert counted is None or counted == src.line_count, data


@pytest.mark.parametrize("year", [None, 2026], ids=["years-from-files", "year-argument"])
def test_short_pieces_holding_blocks_keep_their_scanned_rows_and_read_as_alone(
    tmp_path: Path, year: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces under the fast path's 16 lines that hold blocks (TAB and space bodies, crossed
    by other writers, cut by the writer's own record, pasted newest-first, across a year
    rollover), and pieces the careful path must read whole (a localised month, a month-led
    line that is no record): in a batch each gives what it gives alone, and most of them
    keep the scanner's rows beside the careful path's block rows."""
    from multus_forensics.formats.kubelet import _journalbatch

    nodegen = repo_module("benchmarks/nodegen.py")
    rng = random.Random(21)
    shapes = [
        nodegen.Shape(blocks=0.15, own_records_in_block=True),
        nodegen.Shape(
            hosts=("w1", "w2"), precise=True, blocks=0.15, body_indent="    ",
            start=datetime(2025, 12, 31, 23, 59, 50, tzinfo=UTC),
        ),
    ]  # fmt: skip
    paths: list[str] = []
    for k, shape in enumerate(shapes):
        lines = [line + "\n" for line in nodegen.node_journal(600, rng, shape)]
        at = 0
        while at < len(lines):
            n = rng.randrange(2, 16)
            piece = lines[at : at + n]
            if rng.random() < 0.2:  # a newest-first paste of the piece
                piece = piece[::-1]
            name = tmp_path / f"s{k}" / f"p-{at:05d}.journal"
            paths.append(str(_put(name, "".join(piece))))
            at += n
    odd_texts = {  # 11 lines: a block opened at the end, then a line the scanner leaves
        "t-german.journal": CUT_BLOCKS + CUT_BLOCKS.splitlines()[1].replace("Mar 11", "Mär 11"),
        "t-month-led.journal": CUT_BLOCKS + "Mar 11 was the day of the reboot\n",
    }
    for odd_name, text in odd_texts.items():
        paths.append(str(_put(tmp_path / "t" / odd_name, text)))
    seen: list[bool | None] = []
    real = _journalbatch._whole_order

    def spy(*args: object) -> bool | None:
        got = real(*args)  # type: ignore[arg-type]
        seen.append(got)
        return got

    monkeypatch.setattr(_journalbatch, "_whole_order", spy)
    together = parse(paths, year=year, on_error="collect")
    monkeypatch.setattr(_journalbatch, "_whole_order", real)
    alone = [parse(p, year=year, on_error="collect") for p in paths]
    _same(together, alone)
    assert seen.count(None) >= len(odd_texts)  # read whole, as alone
    assert sum(1 for s in seen if s is not None) > 20  # scanned rows kept beside blocks
    assert any(s is True for s in seen)  # newest-first pieces among them
    assert any(s is False for s in seen)
    assert any("newest-first" in i.reason for i in together.issues)  # a paste was joined


#: head lines that call for a zone note, or look as if they might: ``-o short-full`` records
#: and journalctl headers in a zone, in UTC, and lines of a month and a date that are neither
ZONE_LINES = (
    'Wed 2026-03-11 14:02:07.418601 CET edge-node-2 kubelet[2231]: I0311 14:02:07.418552    2231 util.go:30] "x" pod="a/b"\n',
    "Wed 2026-03-11 14:02:07 UTC edge-node-2 kubelet[2231]: hello\n",
    "Thu 2026-03-12 01:00:00 +0900 edge-node-2 crio[11]: hello\n",
    "-- Logs begin at Mon 2026-03-09 08:00:01 CEST, end at Wed 2026-03-11 14:05:00 CEST. --\n",
    "-- Journal begins at Mon 2026-03-09 08:00:01 UTC. --\n",
    "Mar 2026-03-11 14:02:07 CET edge-node-2 kubelet[2231]: a month as the first token\n",
    "Mar 11 was the day of the reboot\n",
    "2026-03-11T14:02:07+0100 edge-node-2 kubelet[2231]: an ISO record\n",
)  # fmt: skip


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_zone_notes_of_pieces_in_a_batch_are_those_each_gets_alone(
    tmp_path: Path, tz: str | None
) -> None:
    """The batch asks for a zone note only the pieces whose head has a line that could call
    for one (``_journalbatch.zone_suspects``): lines that do, and lines that look alike, put
    at every place of the head and past it, give each piece the notes it gets alone."""
    nodegen = repo_module("benchmarks/nodegen.py")
    rng = random.Random(5)
    lines = [line + "\n" for line in nodegen.node_journal(800, rng, nodegen.Shape())]
    paths = []
    for k in range(80):
        piece = lines[k * 10 : (k + 1) * 10]
        if k % 2:
            piece.insert(rng.randrange(0, 8), ZONE_LINES[(k // 2) % len(ZONE_LINES)])
        paths.append(str(_put(tmp_path / "z" / f"z-{k:03d}.journal", "".join(piece))))
    together = parse(paths, tz=tz, on_error="collect")
    _same(together, [parse(p, tz=tz, on_error="collect") for p in paths])
    noted = {i.file for i in together.issues if "journalctl printed these times" in i.reason}
    if tz is None:
        assert len(noted) >= 10
    else:
        assert not noted


def test_journal_named_files_with_a_code_suffix_are_left_to_be_decided_alone() -> None:
    """The group's not-a-log name test is asked once per name ending: names that share an
    ending share its verdict, and only those (a hidden ``.py`` is no Python source)."""
    from multus_forensics import notlog
    from multus_forensics.ingest import RawStream

    body = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines(keepends=True)
    data = "".join(body[1:9]).encode()
    names = [f"/n/messages-{k}" for k in range(12)] + [
        "/n/messages-a.py", "/n/messages-b.py", "/n/messages-c.PY", "/n/messages-d.sh",
        "/n/x.py/messages-e", "/n/syslog.d/messages-f", "/n/messages-.py", "/m/.py/messages-g",
    ]  # fmt: skip
    items = [(k, RawStream(n, data, bundle="/n", name=n)) for k, n in enumerate(names)]
    decided = {item.file: fmt for _, item, fmt, _ in sniffgroup.grouped(items, None)}
    for name in names:
        code = notlog.by_name(name, ()) is not None
        assert (decided[name] is None) == code, name
    assert sum(fmt is None for fmt in decided.values()) == 5


def test_a_batch_read_from_its_groups_line_table_equals_one_read_afresh(tmp_path: Path) -> None:
    """``parse_batch`` given a part of the table the group's admission made (texts further
    on in it, blocks and short pieces among them) gives what it gives building the table
    from the sources: rows, issues and counts per file."""
    from multus_forensics.formats.base import ParseContext
    from multus_forensics.formats.kubelet import _journalbatch
    from multus_forensics.ingest.sources import clean
    from multus_forensics.registry import get_format

    fmt = get_format("journald")
    streams = [
        item
        for _, item in iter_inputs([str(p) for p in _journal_pieces(tmp_path)])
        if isinstance(item, RawStream)
    ]
    verdicts = fmt.admit_many([s.data for s in streams])
    admitted = [s for s, v in zip(streams, verdicts, strict=True) if v]
    verdicts, table = fmt.admit_table([s.data for s in admitted])
    assert isinstance(table, _journalbatch.LineTable)
    first, n = 3, len(admitted) - 5  # texts further on in the table, not to its end
    assert n >= 8
    srcs = [clean(s, verdicts[k]) for k, s in enumerate(admitted[first : first + n], first)]
    ctxs = [ParseContext()] * n
    fresh = fmt.parse_batch(srcs, ctxs)
    shared = fmt.parse_batch(srcs, ctxs, (table, first))
    assert any(out.issues or out.blank_lines for out in fresh)  # careful lines among them
    for a, b in zip(fresh, shared, strict=True):
        assert a.events.to_dicts() == b.events.to_dicts()
        assert (a.issues, a.blank_lines, a.header_lines, a.event_lines) == (
            b.issues, b.blank_lines, b.header_lines, b.event_lines,
        )  # fmt: skip
    with pytest.raises(ValueError, match="line table"):
        _journalbatch.parse_batch(srcs, ctxs, "journald", 16, None, table.part(first, n - 1))


def test_batches_read_the_line_table_their_group_admission_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of journal pieces is joined and its lines found once per group: each batch
    reads its group's table; a batch of files that are not one table's run (a piece decided
    alone among them) builds its own, with the same result."""
    from multus_forensics.formats.kubelet import _journalbatch

    built: list[int] = []
    table = _journalbatch._line_table

    def counted(datas: list[bytes]) -> _journalbatch.LineTable:
        built.append(len(datas))
        return table(datas)

    monkeypatch.setattr(_journalbatch, "_line_table", counted)
    header, *lines = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines(True)
    for k in range(40):
        _put(tmp_path / "a" / f"p-{k:03d}.journal", "".join(lines[k % 8 : k % 8 + 6]))
    parse(str(tmp_path / "a"), year=2026)
    assert built == [40]  # the admission's table, read again by the batch
    # a journal with its header line: not admitted (its first byte), batchable when asked alone
    _put(tmp_path / "a" / "p-020x.journal", header + "".join(lines[:6]))
    built.clear()
    together = parse(str(tmp_path / "a"), year=2026)
    assert len(built) == 2  # it joins the batch, which is read afresh
    assert built[0] == 41
    files = sorted(str(p) for p in (tmp_path / "a").iterdir())
    _same(together, [parse(p, year=2026) for p in files])


@pytest.mark.parametrize("folder", ["seed", "kubelet", "bundles", "."])
def test_a_parsed_frame_has_every_column_cut_where_its_lines_are(folder: str) -> None:
    """Batches of small files keep their rows' chunks (no copy into one), and the constant
    columns are rewritten whole: the parse still hands back a frame whose every column is cut
    where ``line`` is. A frame chunked otherwise blocked polars' serializer in a batch worker."""
    from conftest import SAMPLES

    frame = parse(str(SAMPLES / folder)).frame
    lengths = frame.get_column("line").chunk_lengths()
    assert {c.name: c.chunk_lengths() for c in frame.get_columns()} == dict.fromkeys(
        frame.columns, lengths
    )
