"""Abstention: no Multus claims without Multus, no findings from texts that are not logs."""

from __future__ import annotations

from pathlib import Path

import pytest

import multus_forensics as mf

# kubelet journal lines of a node without Multus (kubeadm first boot, flannel not yet running)
NO_MULTUS = """\
Mar 02 10:14:01 worker-2 kubelet[912]: E0302 10:14:01.118201     912 kubelet.go:2855] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
Mar 02 10:14:03 worker-2 kubelet[912]: E0302 10:14:03.220114     912 kubelet.go:2855] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized"
Mar 02 10:14:05 worker-2 kubelet[912]: W0302 10:14:05.004467     912 cni.go:237] Unable to update cni config: No networks found in /etc/cni/net.d
"""


def test_generic_cni_signatures_without_multus_are_no_error_claims(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.log"
    path.write_text(NO_MULTUS, encoding="utf-8")
    diag = mf.diagnose(str(path), year=2026)
    assert [f for f in diag if f.severity in ("error", "critical") and f.confidence >= 0.5] == []
    assert all(f.root_cause == "default_network_not_ready" for f in diag if f.confidence >= 0.3)
    assert any("no sign of Multus" in r for f in diag for r in f.reasons)


def test_the_same_signature_with_multus_keeps_its_multus_reading(tmp_path: Path) -> None:
    path = tmp_path / "multus.log"
    path.write_text(
        "2026-03-02T10:14:05Z [error] Multus: [lab/web-1]: GetCNIConfig: err in GetCNIConfigFromFile: "
        "No networks found in /etc/cni/multus/net.d\n",
        encoding="utf-8",
    )
    assert mf.diagnose(str(path), year=2026).top == "nad_not_found"


def test_source_files_that_quote_error_texts_yield_no_findings(tmp_path: Path) -> None:
    (tmp_path / "errors.py").write_text(
        'MESSAGES = [\n    "failed to find plugin \\"macvlan\\" in path [/opt/cni/bin]",\n'
        '    "CmdAdd (shim): failed to send CNI request: dial unix /run/multus/multus.sock: connect: connection refused",\n'
        '    "error getting pod: Unauthorized",\n]\n',
        encoding="utf-8",
    )
    diag = mf.diagnose(str(tmp_path), year=2026)
    assert list(diag) == []
    # kept out of the classifier as source code (or its findings withdrawn), never lost
    assert diag.stats.get("withdrawn_findings", 0) >= 1 or (
        diag.stats["events"] == 0 and diag.stats["unparsed_lines"] == diag.stats["lines"] > 0
    )


def test_the_projects_own_sources_rules_and_docs_yield_no_error_claim() -> None:
    # real folders of non-log files that quote every error text the rules know
    root = Path(__file__).resolve().parent.parent
    inputs = [
        root / "multus_forensics" / "rules",
        root / "docs",
        root / "scripts",
    ]
    diag = mf.diagnose([str(p) for p in inputs], year=2026)
    assert [
        (f.root_cause, f.confidence)
        for f in diag
        if f.severity in ("error", "critical") and f.confidence >= 0.5
    ] == []


NO_MULTUS_DIR = Path(__file__).resolve().parent / "data" / "no_multus"


@pytest.mark.parametrize("name", sorted(p.name for p in NO_MULTUS_DIR.glob("*.log")))
def test_real_logs_of_clusters_without_multus_get_no_error_claim(name: str) -> None:
    diag = mf.diagnose(str(NO_MULTUS_DIR / name), year=2026)
    assert [
        (f.root_cause, f.confidence)
        for f in diag
        if f.severity in ("error", "critical") and f.confidence >= 0.5
    ] == []
    assert {f.root_cause for f in diag} <= {"default_network_not_ready"}


def test_a_generic_rule_keeps_its_cause_uncapped_where_its_look_alike_is_capped(
    tmp_path: Path,
) -> None:
    # one cause, two rules: libcni's cached-result text (generic) and host-device's lost device
    # ID on DEL (the ID Multus hands it from the device plugin)
    libcni = tmp_path / "libcni.log"
    libcni.write_text(
        'failed to destroy network for sandbox "4be1c0f2": failed to get network "cbr0" cached '
        "result: decoding version from network config: unexpected end of JSON input\n",
        encoding="utf-8",
    )
    multus_cache = tmp_path / "cache.log"
    multus_cache.write_text(
        'failed to destroy network for sandbox "4be1c0f2": plugin type="host-device" failed '
        '(delete): specify either "device", "hwaddr", "kernelpath" or "pciBusID"\n',
        encoding="utf-8",
    )
    generic, capped = mf.diagnose(str(libcni)), mf.diagnose(str(multus_cache))
    assert generic.top == capped.top == "teardown_state_missing"
    assert not any("no sign of Multus" in r for r in generic[0].reasons)
    assert any("no sign of Multus" in r for r in capped[0].reasons)
    assert generic[0].confidence > capped[0].confidence


def test_a_bundle_member_no_format_recognised_carries_no_claim_beside_a_recognised_one(
    tmp_path: Path,
) -> None:
    """Members share their archive's file name: a chat paste inside a must-gather is judged as
    the same paste beside the log on disk would be, not by the kubelet log next to it."""
    import tarfile

    root = tmp_path / "b"
    (root / "node-1").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / "node-1" / "kubelet.log").write_text(
        'I0302 10:14:01.118201     912 kubelet.go:2855] "SyncLoop ADD" source="api" pods=["lab/web-1"]\n'
        'I0302 10:14:02.118201     912 kubelet.go:2855] "SyncLoop UPDATE" source="api" pods=["lab/web-1"]\n',
        encoding="utf-8",
    )
    paste = (
        "%%% pasted from a chat client %%%\n"
        '>> multus says: failed to find plugin "macvlan" in path [/opt/cni/bin] (again)\n'
    )
    (root / "notes" / "ticket.txt").write_text(paste, encoding="utf-8")
    bundle = tmp_path / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        tar.add(root, arcname=".")
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "kubelet.log").write_bytes((root / "node-1" / "kubelet.log").read_bytes())
    (loose / "ticket.txt").write_text(paste, encoding="utf-8")

    for diag in (mf.diagnose(str(bundle), year=2026), mf.diagnose(str(loose), year=2026)):
        assert list(diag) == []
        assert diag.stats["withdrawn_findings"] == 1
        assert diag.stats["unparsed_lines"] == 2
