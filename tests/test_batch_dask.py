"""On a real Dask ``LocalCluster`` the batch gives the same result as one process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import pytest

from multus_forensics.batch import active_dask_client, run_batch
from multus_forensics.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def kubelet_logs(directory: Path, count: int) -> list[str]:
    paths = []
    for n in range(count):
        lines = [
            json.dumps(
                {
                    "ts": 1773234127418.552 + i * 1000,
                    "caller": "kuberuntime/kuberuntime_manager.go:1172",
                    "msg": "CreatePodSandbox for pod failed",
                    "pod": {"name": f"probe-{n}", "namespace": "lab"},
                    "err": f"rpc error: code = Unknown desc = node {n} attempt {i}",
                }
            )
            for i in range(20 * (n + 1))
        ]
        path = directory / f"node-{n}.log"
        path.write_text("\n".join([*lines, "truncated garbage"]) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def test_local_cluster_by_address_equals_one_process(cluster: Any, tmp_path: Path) -> None:
    paths = kubelet_logs(tmp_path, 5)
    sequential = run_batch(paths, workers=1, progress=False).log()
    on_dask = run_batch(paths, scheduler=cluster.scheduler_address, progress=False)
    assert on_dask.mode == "dask"
    assert [u.input for u in on_dask.units] == paths
    log = on_dask.log()
    assert log.frame.equals(sequential.frame)
    assert log.issues == sequential.issues
    assert log.stats.files == sequential.stats.files


def test_an_active_client_is_used_without_being_named(cluster: Any, tmp_path: Path) -> None:
    paths = kubelet_logs(tmp_path, 3)
    assert active_dask_client() is None
    with distributed.Client(cluster) as client:
        assert active_dask_client() is client
        result = run_batch(paths, progress=False)
        worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert result.mode == "dask"
    assert {u.pid for u in result.units} <= worker_pids
    assert result.log().frame.equals(run_batch(paths, workers=1, progress=False).log().frame)


def test_report_command_runs_bundles_on_the_scheduler(
    cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundles = []
    for n, path in enumerate(kubelet_logs(tmp_path, 2)):
        node = tmp_path / f"node-{n}"
        node.mkdir()
        Path(path).rename(node / "kubelet.log")
        bundles.append(str(node))
    out = tmp_path / "out"
    args = ["report", *bundles, "-o", str(out), "-f", "json", "--scheduler"]
    assert main([*args, cluster.scheduler_address]) == 0
    capsys.readouterr()
    doc = json.loads((out / "report.json").read_text())
    assert [i["input"] for i in doc["inputs"]] == bundles
    assert doc["stats"]["events"] == 20 + 40
    assert (out / doc["inputs"][1]["report"]).exists()


def test_one_bundle_streams_on_the_cluster_equal_one_process(cluster: Any, tmp_path: Path) -> None:
    from test_batch_streams import build_bundle

    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.batch.streams import parse_streams

    bundle = str(build_bundle(tmp_path / "must-gather.tar.gz"))
    expected = parse_streams([bundle], workers=1)
    on_dask = parse_streams([bundle], scheduler=cluster.scheduler_address)
    assert on_dask.mode == "dask"
    assert on_dask.log.frame.equals(expected.log.frame)
    assert on_dask.log.issues == expected.log.issues
    assert on_dask.log.stats.files == expected.log.stats.files
    with distributed.Client(cluster) as client:
        worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
        cut = parse_streams([bundle], keep=keep_spec())  # the active client is used
    assert cut.mode == "dask"
    assert cut.log.frame.equals(parse_streams([bundle], keep=keep_spec(), workers=1).log.frame)
    assert cut.pids <= worker_pids


def test_diagnose_of_one_bundle_on_the_scheduler_equals_one_process(
    cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_batch_streams import build_bundle

    bundle = str(build_bundle(tmp_path / "must-gather.tar.gz"))
    assert main(["diagnose", bundle, "--json", "-q", "-j", "1"]) == 0
    here = capsys.readouterr().out
    assert main(["diagnose", bundle, "--json", "-q", "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == here


def test_rules_matched_on_the_cluster_give_the_diagnosis_of_one_process(
    cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_classify_partial import _members, _one_process, _tar

    from multus_forensics.batch import ParseOptions
    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.batch.streams import parse_streams
    from multus_forensics.classify.partial import MatchedLog

    bundle = _tar(tmp_path / "must-gather.tar.gz", _members())
    on_dask = parse_streams(
        [str(bundle)],
        ParseOptions(year=2026),
        keep=keep_spec(),
        match=True,
        scheduler=cluster.scheduler_address,
    )
    assert on_dask.mode == "dask"
    assert isinstance(on_dask.log, MatchedLog)
    assert on_dask.log.matches is not None
    assert any(s.hits for s in on_dask.log.matches.streams)
    args = ["diagnose", str(bundle), "--json", "-q", "--year", "2026"]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == _one_process(bundle)
