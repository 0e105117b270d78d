"""Batch execution: the same result from one process and from a pool, in input order, bounded."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import polars as pl
import pytest

from multus_forensics.batch import ParseOptions, group_units, iter_batch, run_batch
from multus_forensics.batch.progress import progress_bar, stage_bar
from multus_forensics.batch.runner import _ordered
from multus_forensics.errors import MultusForensicsError, ParseError
from multus_forensics.eventlog import EventLog
from multus_forensics.pipeline import parse


def kubelet_json(path: Path, pod: str, records: int, *, junk: bool = True) -> Path:
    """A kubelet klog-JSON log with ``records`` failures for one pod and one unparsable line."""
    lines = [
        json.dumps(
            {
                "ts": 1773234127418.552 + i * 1000,
                "caller": "kuberuntime/kuberuntime_manager.go:1172",
                "msg": "CreatePodSandbox for pod failed",
                "pod": {"name": pod, "namespace": "lab"},
                "err": f"rpc error: code = Unknown desc = attempt {i}",
            }
        )
        for i in range(records)
    ]
    if junk:
        lines.append("-- cut here --")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    big = kubelet_json(tmp_path / "a-big.log", "alpha", 3000)
    small = [kubelet_json(tmp_path / f"b{i}.log", f"pod-{i}", 5 + i) for i in range(4)]
    return [str(big), *map(str, small), str(tmp_path / "missing.log")]


def assert_same_log(a: EventLog, b: EventLog) -> None:
    assert a.frame.equals(b.frame)
    assert a.issues == b.issues
    assert a.stats.files == b.stats.files


def test_pool_and_single_process_give_the_same_log_as_parse(inputs: list[str]) -> None:
    sequential = run_batch(inputs, workers=1, progress=False)
    pooled = run_batch(inputs, workers=2, progress=False)
    assert sequential.mode == "sequential"
    assert pooled.mode == "processes"
    assert pooled.workers == 2
    assert_same_log(sequential.log(), parse(inputs, on_error="collect"))
    assert_same_log(pooled.log(), sequential.log())
    assert pooled.log().frame.height == 3000 + sum(5 + i for i in range(4))


def test_results_keep_input_order_when_a_later_input_finishes_first(inputs: list[str]) -> None:
    units = list(iter_batch(inputs, workers=2))
    assert [u.input for u in units] == inputs
    assert all(u.pid != os.getpid() for u in units)
    assert all(u.peak_rss_kb > 0 for u in units)
    first_pods = units[0].frame().get_column("pod").unique().to_list()
    assert first_pods == ["alpha"]


def test_each_unit_equals_parsing_that_input_alone(inputs: list[str]) -> None:
    for unit in iter_batch(inputs, workers=2):
        assert_same_log(unit.log(), parse([unit.input], on_error="collect"))


def test_parse_options_reach_the_workers(tmp_path: Path) -> None:
    path = str(kubelet_json(tmp_path / "k.log", "p", 3))
    with pytest.raises(ParseError, match="cut here"):
        run_batch([path, path], ParseOptions(on_error="raise"), workers=2, progress=False)


def test_in_flight_units_never_exceed_the_window() -> None:
    submitted: list[str] = []
    consumed: list[str] = []
    peak = 0

    class Done:
        def __init__(self, value: str) -> None:
            self.value = value

        def result(self) -> str:
            consumed.append(self.value)
            return self.value

    def submit(path: str) -> Done:
        nonlocal peak
        submitted.append(path)
        peak = max(peak, len(submitted) - len(consumed))
        return Done(path)

    paths = [f"in-{i}" for i in range(50)]
    assert list(_ordered(submit, paths, 4)) == paths  # type: ignore[arg-type]
    assert peak == 4


def test_worker_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_batch(["x"], workers=0, progress=False)


def test_empty_batch_merges_to_an_empty_schema_frame() -> None:
    result = run_batch([], progress=False)
    assert result.units == []
    assert result.log().frame.schema == parse([]).frame.schema


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    with progress_bar(3, "parsing", stream=stream) as bar:
        for _ in range(3):
            bar.advance("x.log")
    assert stream.getvalue() == ""
    assert not bar.enabled


def test_progress_draws_on_a_terminal_unless_quiet() -> None:
    tty = _Terminal()
    with progress_bar(3, "parsing", stream=tty) as bar:
        for _ in range(3):
            bar.advance("x.log")
    assert "3/3" in tty.getvalue()
    quiet = _Terminal()
    with progress_bar(3, "parsing", stream=quiet, enabled=False) as bar:
        bar.advance("x.log")
    assert quiet.getvalue() == ""


def test_unit_frames_keep_the_event_schema(inputs: list[str]) -> None:
    unit = next(iter_batch(inputs[:1], workers=1))
    assert unit.frame().schema == parse([]).frame.schema
    assert unit.frame().get_column("time").dtype == pl.Datetime("us", "UTC")


def test_bundles_are_units_and_loose_files_one_unit_together(tmp_path: Path) -> None:
    node = tmp_path / "node-1"
    node.mkdir()
    kubelet_json(node / "kubelet.log", "p", 2)
    tarball = tmp_path / "node-2.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(node / "kubelet.log", arcname="node-2/kubelet.log")
    gz_log = tmp_path / "kubelet.log.gz"
    gz_log.write_bytes(gzip.compress((node / "kubelet.log").read_bytes()))
    loose = [str(kubelet_json(tmp_path / f"{n}.log", n, 1)) for n in ("a", "b")]
    units = group_units([loose[0], str(node), str(gz_log), str(tarball), loose[1]])
    assert [u.paths for u in units] == [
        (loose[0], str(gz_log), loose[1]),
        (str(node),),
        (str(tarball),),
    ]
    assert units[0].label == "3 files: a.log, kubelet.log.gz, b.log"
    result = run_batch(units, workers=2, progress=False)
    assert [u.input for u in result.units] == [u.label for u in units]
    assert result.units[0].log().stats.as_dict()["files"] == 3
    assert_same_log(result.units[2].log(), parse([str(tarball)]))


def test_events_can_stay_in_the_worker_when_only_the_hook_result_is_needed(
    inputs: list[str],
) -> None:
    units = list(iter_batch(inputs[1:3], workers=2, keep_events=False))
    assert [u.events_ipc for u in units] == [b"", b""]
    assert [f.events for u in units for f in u.files] == [5, 6]
    with pytest.raises(ValueError, match="keep_events=False"):
        units[0].frame()


def test_standard_input_is_parsed_here_while_files_go_to_workers(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Path(inputs[1]).read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    units = list(iter_batch(["-", inputs[2]], workers=2))
    assert units[0].pid == os.getpid()
    assert units[1].pid != os.getpid()
    assert units[0].frame().height == 5
    assert units[0].files[0].file == "<stdin>"


def polars_threads(label: str, log: object) -> int:
    """An ``after`` hook reporting the worker's polars thread pool size."""
    del label, log
    import polars

    return polars.thread_pool_size()


def test_pool_workers_run_one_polars_thread_each(inputs: list[str]) -> None:
    units = list(iter_batch(inputs[1:3], workers=2, after=polars_threads, keep_events=False))
    expected = int(os.environ.get("POLARS_MAX_THREADS", "1"))
    assert [u.extra for u in units] == [expected, expected]


def die(label: str, log: object) -> None:
    """An ``after`` hook that kills its worker, as the OOM killer would."""
    del label, log
    os._exit(137)


def test_a_dead_worker_is_reported_with_the_unit_it_was_parsing(inputs: list[str]) -> None:
    with pytest.raises(
        MultusForensicsError, match=r"worker process died while parsing .*a-big\.log"
    ):
        run_batch(inputs[:2], workers=2, after=die, progress=False)


def test_a_folder_of_archives_is_one_unit_per_archive(tmp_path: Path) -> None:
    folder = tmp_path / "incident"
    folder.mkdir()
    log = kubelet_json(tmp_path / "kubelet.log", "p", 2)
    for name in ("node-b.tgz", "node-a.tar.gz"):
        with tarfile.open(folder / name, "w:gz") as tar:
            tar.add(log, arcname="kubelet.log")
    assert [u.paths for u in group_units([str(folder)])] == [
        (str(folder / "node-a.tar.gz"),),
        (str(folder / "node-b.tgz"),),
    ]
    (folder / "notes.txt").write_text("not an archive\n")
    assert [u.paths for u in group_units([str(folder)])] == [(str(folder),)]


def test_a_single_input_gets_a_stage_bar_on_a_terminal_only() -> None:
    tty = _Terminal()
    with stage_bar(["parsing", "classifying"], "1 input, 80.0 MB", stream=tty) as bar:
        assert bar.label == "parsing"
        bar.advance()
        assert bar.label == "classifying"
        bar.advance()
    drawn = tty.getvalue()
    assert "1 input, 80.0 MB" in drawn
    assert "parsing" in drawn
    assert "classifying" in drawn
    assert "2/2" in drawn
    piped = io.StringIO()
    with stage_bar(["parsing"], "x", stream=piped) as bar:
        bar.advance()
    assert piped.getvalue() == ""
    quiet = _Terminal()
    with stage_bar(["parsing"], "x", stream=quiet, enabled=False) as bar:
        bar.advance()
    assert quiet.getvalue() == ""
