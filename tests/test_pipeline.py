"""``parse()`` orchestration: on_error, progress, accounting, detection outcomes, outputs."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import polars as pl
import pytest
from test_ingest_toyformat import MODULE, ToyFormat, toy_registry  # noqa: F401 - fixture

from multus_forensics import registry
from multus_forensics.errors import InputError, ParseError, UnknownFormatError
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.pipeline import parse, parse_source

pytestmark = pytest.mark.usefixtures("toy_registry")

GOOD = "TOYFULL 2026-03-11T13:02:05Z a\n"
BAD = "TOYFULL 2026-03-11T13:02:05Z a\nnot a toy line\nTOYFULL 2026-03-11T13:02:06Z b\n"


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_collect_keeps_issues_and_events(tmp_path: Path) -> None:
    log = parse(_write(tmp_path, "x.toy", BAD))
    assert log.frame["message"].to_list() == ["a", "b"]
    [issue] = log.issues
    assert (issue.line, issue.reason, issue.excerpt) == (2, "not a toy line", "not a toy line")
    assert log.stats.unparsed_lines == 1


def test_warn_emits_each_issue_as_a_warning(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"x\.toy:2: not a toy line"):
        log = parse(_write(tmp_path, "x.toy", BAD), on_error="warn")
    assert len(log.issues) == 1


def test_raise_stops_at_the_first_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"x\.toy:2: not a toy line") as info:
        parse(_write(tmp_path, "x.toy", BAD), on_error="raise")
    assert info.value.issue.line == 2


def test_raise_does_not_raise_on_warnings(tmp_path: Path) -> None:
    damaged = _write(tmp_path, "y.toy", b"TOYFULL 2026-03-11T13:02:05Z \xff\n")
    log = parse(damaged, on_error="raise")
    assert [i.severity for i in log.issues] == ["warning"]


def test_raise_on_an_unreadable_input(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        parse(str(tmp_path / "missing.toy"), on_error="raise")


def test_bad_arguments_fail_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.toy", GOOD)
    with pytest.raises(ValueError, match="on_error must be"):
        parse(path, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown time zone 'Mars/Base'"):
        parse(path, tz="Mars/Base")
    with pytest.raises(UnknownFormatError, match="did you mean 'toy'"):
        parse(path, format="toyy")


def test_progress_reports_top_level_files(tmp_path: Path) -> None:
    for i in range(3):
        _write(tmp_path, f"{i}.toy", GOOD)
    calls: list[tuple[int, int]] = []
    parse(
        [str(tmp_path), str(tmp_path / "missing")],
        progress=lambda d, t: calls.append((d, t)),
        on_error="collect",
    )
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_unrecognised_input_is_an_error_issue_and_a_skipped_file(tmp_path: Path) -> None:
    log = parse(_write(tmp_path, "notes.txt", "hello\nworld\n"))
    [issue] = log.issues
    assert issue.severity == "error"
    assert issue.reason.startswith("not parsed: no format recognised (best sniff scores: toy 0.00)")
    assert "its 2 non-blank lines are not in any event" in issue.reason
    [fs] = log.stats.files
    assert (fs.lines, fs.skipped is not None, log.stats.unreadable) == (2, True, 0)


def test_ambiguous_sniff_is_an_issue_naming_the_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Twin(ToyFormat):
        name = "twin"
        filename_globs = ()

    module = sys.modules[MODULE]
    monkeypatch.setattr(module, "Twin", Twin, raising=False)
    monkeypatch.setattr(
        registry, "FORMATS", {"toy": "_toy_for_tests:ToyFormat", "twin": "_toy_for_tests:Twin"}
    )
    registry.get_format.cache_clear()
    log = parse(_write(tmp_path, "x.log", GOOD))
    [issue] = log.issues
    assert "formats sniff equally (1.00): toy, twin; pass --log-format" in issue.reason


def test_broken_line_accounting_is_a_bug_that_names_the_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Lossy(ToyFormat):
        def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
            out = super().parse(src, ctx)
            return ParseOutput(out.events.head(1), out.issues, out.blank_lines)

    module = types.ModuleType(MODULE)
    module.ToyFormat = Lossy  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    registry.get_format.cache_clear()
    with pytest.raises(AssertionError, match="line accounting broken in format toy: 3 lines read"):
        parse(_write(tmp_path, "x.toy", BAD))


def test_parse_source_checks_one_decoded_source() -> None:
    fs, frame, issues = parse_source(TextSource("t", BAD + "\n"), format="toy")
    assert (fs.lines, fs.events, fs.issue_lines, fs.blank_lines) == (4, 2, 1, 1)
    assert frame is not None
    assert frame.height == 2
    assert [i.line for i in issues] == [2]


def test_many_files_are_parsed_one_at_a_time(tmp_path: Path) -> None:
    for i in range(1500):
        _write(tmp_path, f"f{i:04d}.toy", f"TOYFULL 2026-03-11T13:02:05Z n{i}\n")
    log = parse(str(tmp_path))
    assert (len(log.stats.files), log.frame.height) == (1500, 1500)
    assert log.frame["message"][-1] == "n1499"


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_write_creates_the_parent_directory(tmp_path: Path, suffix: str) -> None:
    log = parse(_write(tmp_path, "x.toy", BAD))
    out = tmp_path / "new" / "dir" / f"events.{suffix}"
    log.write(str(out))
    reader = {"parquet": pl.read_parquet, "csv": pl.read_csv, "jsonl": pl.read_ndjson}[suffix]
    assert reader(out)["message"].to_list() == ["a", "b"]


def test_write_rejects_unknown_suffix_before_creating_anything(tmp_path: Path) -> None:
    log = parse(_write(tmp_path, "x.toy", GOOD))
    with pytest.raises(InputError, match="unknown output type"):
        log.write(str(tmp_path / "new" / "events.xlsx"))
    assert not (tmp_path / "new").exists()
