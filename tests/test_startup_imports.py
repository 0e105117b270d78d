"""What a small plain-file ``parse`` or ``diagnose`` loads: nothing for archives of inputs in
parallel, clusters or rule-file parsing, and only the rules some row is a candidate for.

Imports are checked in a fresh interpreter (the test process has loaded everything already);
``benchmarks/bench_startup.py`` times the same commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from multus_forensics.cli import COMMANDS, build_parser, chosen_command

FIVE_LINES = """\
Mar 11 14:02:07 edge-node-2 kubelet[2231]: E0311 14:02:07.418552    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"4d2c5e1a\\": plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): [lab/probe-1/8a4f2c1e-3b5d-4e6f-9a7b-1c2d3e4f5a6b:macvlan-conf]: error adding container to network \\"macvlan-conf\\": failed to create macvlan: device or resource busy" pod="lab/probe-1"
Mar 11 14:02:08 edge-node-2 kubelet[2231]: I0311 14:02:08.000101    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/probe-1"
Mar 11 14:02:09 edge-node-2 crio[1187]: time="2026-03-11 14:02:09.418601000Z" level=info msg="Running pod sandbox: lab/probe-1/POD" id=5f1c
Mar 11 14:02:10 edge-node-2 systemd[1]: Started crio-conmon-4d2c5e1a9b0f.scope.
Mar 11 14:02:11 edge-node-2 kernel: IPv6: ADDRCONF(NETDEV_CHANGE): net1: link becomes ready
"""

#: modules a plain-file command must not load (process pools, clusters, TOML parsing, numpy)
NOT_ON_THE_PLAIN_PATH = (
    "multus_forensics.batch.runner",
    "multiprocessing",
    "dask",
    "distributed",
    "tomllib",
    "numpy",
)

_PROBE = """
import io, json, sys, contextlib
kept = []
if sys.argv[1] == "diagnose":  # keep the CLI's catalog to see which rules it compiled
    import multus_forensics.classify as classify
    load = classify.load_catalog
    classify.load_catalog = lambda *a, **k: kept.append(load(*a, **k)) or kept[-1]
from multus_forensics.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
compiled = [r.id for c in kept for r in c.rules if "patterns" in vars(r)]
print(json.dumps({"code": code, "modules": sorted(sys.modules), "compiled": compiled}))
"""


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    log = tmp_path / "kubelet.journal"
    log.write_text(FIVE_LINES, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args[:1], str(log), *args[1:]],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("command", [("parse", "-q"), ("diagnose", "-q")])
def test_a_small_plain_file_loads_no_batch_cluster_or_toml_machinery(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = _run(tmp_path, *command)
    assert result["code"] == 0
    modules = set(result["modules"])  # type: ignore[call-overload]
    assert "polars" in modules  # the probe saw a real run
    loaded = {
        m for m in modules if m in NOT_ON_THE_PLAIN_PATH or m.split(".")[0] in NOT_ON_THE_PLAIN_PATH
    }
    assert not loaded


def test_diagnose_of_a_small_file_compiles_only_candidate_rules(tmp_path: Path) -> None:
    from multus_forensics.classify import load_catalog

    result = _run(tmp_path, "diagnose", "-q")
    compiled = result["compiled"]
    assert isinstance(compiled, list)
    assert "MACVLAN-PARENT-BUSY" in compiled  # the rule that explains line 1
    assert len(compiled) < len(load_catalog().rules) // 4


@pytest.mark.parametrize(
    ("argv", "chosen"),
    [
        (["-q", "--debug", "parse", "x.log"], "parse"),
        (["diagnose", "--json", "parse"], "diagnose"),
        (["--help"], None),
        (["pasre", "x.log"], None),
        (["--", "parse"], None),
        ([], None),
    ],
)
def test_the_chosen_subcommand_is_the_first_word_that_is_not_an_option(
    argv: list[str], chosen: str | None
) -> None:
    assert chosen_command(argv) == chosen


def test_a_parser_built_for_one_subcommand_still_lists_every_subcommand() -> None:
    full, one = build_parser().format_help(), build_parser(only=("parse",)).format_help()
    assert one == full
    assert all(name in one for name in COMMANDS)
    args = build_parser(only=("parse",)).parse_args(["parse", "x.log", "-o", "e.jsonl"])
    assert args.output == "e.jsonl"
