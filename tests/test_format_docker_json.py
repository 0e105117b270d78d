"""Docker json-file logs: one JSON entry per line, split lines joined, payloads re-parsed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.base import TextSource
from multus_forensics.formats.runtime.docker_json import to_cri_line
from multus_forensics.registry import all_formats

CID = "9b1f3c2a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"
SAMPLE = SAMPLES / "runtime/docker/var/lib/docker/containers" / CID / f"{CID}-json.log"


def _entry(log: str, stream: str = "stderr", time: str = "2019-07-18T06:07:40.5Z") -> str:
    return json.dumps({"log": log, "stream": stream, "time": time})


def test_sample_matches_golden_and_sniffs_as_docker_json(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLE))
    assert log.issues == []
    assert log.stats.files[0].format == "docker-json"
    head = TextSource(str(SAMPLE), SAMPLE.read_text()).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert max(scores, key=lambda n: scores[n]) == "docker-json"
    assert sorted(scores.values())[-2] < 0.3  # no other format claims these lines
    check_golden("docker_json_container", log.to_polars(), regen_golden)


def test_split_line_is_joined_and_its_multus_payload_parsed() -> None:
    df = mf.parse(str(SAMPLE)).to_polars()
    error = df.filter(df["line"] == 4).row(0, named=True)
    assert (error["nlines"], error["kind"], error["source"]) == (2, "multus:error", "multus")
    assert error["message"].endswith("interface name net1 already exists")
    assert (error["namespace"], error["pod"], error["network"]) == (
        "lab",
        "probe-6d8f9c7b54-qwz4n",
        "macvlan-conf",
    )
    assert error["pod_uid"] == "7ad2f92f-2377-4b79-8201-15fd0290181a"
    assert error["time"] == datetime(2019, 7, 18, 6, 7, 42, 100000, UTC)
    assert error["raw"] == "\n".join(SAMPLE.read_text().splitlines()[3:5])


def test_klog_payload_from_a_container_is_not_labelled_kubelet() -> None:
    df = mf.parse(str(SAMPLE)).to_polars()
    flannel = df.filter(df["line"] == 6).row(0, named=True)
    assert (flannel["level"], flannel["source"]) == ("error", "unknown")
    assert flannel["message"].startswith("Failed to ensure iptables rules")


def test_cri_line_of_an_entry() -> None:
    assert to_cri_line(_entry("done\n")) == "2019-07-18T06:07:40.5Z stderr F done"
    assert to_cri_line(_entry("half")) == "2019-07-18T06:07:40.5Z stderr P half"
    assert to_cri_line('{"msg": "klog json"}') is None


def test_a_line_that_is_not_an_entry_is_an_error_issue_with_its_own_text(tmp_path: Path) -> None:
    path = tmp_path / f"{CID}-json.log"
    path.write_text(_entry("one\n") + "\n\n" + "garbage line\n" + _entry("two\n") + "\n")
    log = mf.parse(str(path))
    [issue] = log.issues
    assert (issue.line, issue.excerpt, issue.format) == (3, "garbage line", "docker-json")
    assert issue.reason.startswith("not a Docker json-file entry")
    [fs] = log.stats.files
    assert (fs.events, fs.blank_lines, fs.issue_lines, fs.balanced) == (2, 1, 1, True)


def test_docker_era_var_log_containers_link_is_read_as_docker_json(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "log" / "containers"
    folder.mkdir(parents=True)
    path = folder / f"kube-flannel-ds-amd64-m78z2_kube-system_kube-flannel-{CID}.log"
    path.write_bytes(SAMPLE.read_bytes())
    log = mf.parse(str(path))
    assert log.stats.files[0].format == "docker-json"
    fields = json.loads(log.to_polars()["fields"][0])
    assert fields["log_pod"] == "kube-system/kube-flannel-ds-amd64-m78z2"
