"""Configuration as input: CNI config files, NetworkAttachmentDefinitions and ls -l listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats

CONFIGS = SAMPLES / "configs"
OWN = {
    "00-multus.conf": "cni-config",
    "net-attach-defs.yaml": "net-attach-def",
    "ls-cni.txt": "cni-listing",
}


def _is_text(path: Path) -> bool:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # compressed samples and archives
        return False
    return True


OTHERS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.is_file()
    and p.suffix != ".md"
    and p.parent != CONFIGS
    and p.stat().st_size < 5_000_000
    and _is_text(p)
)


@pytest.mark.parametrize(("name", "fmt"), OWN.items())
def test_sample_is_detected_parsed_whole_and_matches_golden(
    name: str, fmt: str, regen_golden: bool
) -> None:
    log = mf.parse(str(CONFIGS / name))
    assert log.stats.files[0].format == fmt
    assert log.issues == []
    check_golden(f"configs_{Path(name).stem}", log.to_polars(), regen_golden)


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_other_samples_do_not_sniff_as_a_config_format(path: Path) -> None:
    from multus_forensics.formats.base import TextSource

    head = TextSource(str(path), path.read_text(encoding="utf-8")).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert {name: scores[name] for name in OWN.values() if scores[name] >= 0.3} == {}


def test_generated_multus_config_is_one_event_naming_its_multus_delegate() -> None:
    (event,) = [
        e
        for e in frame_to_events(mf.parse(str(CONFIGS / "00-multus.conf")).to_polars())
        if e.kind == "config:cni"
    ]
    assert (event.line, event.nlines) == (1, 25)
    assert event.fields["types"] == ["multus-shim"]
    assert event.fields["delegate_types"] == ["multus-shim"]
    assert event.fields["self_delegating"] is True
    assert event.fields["path"].endswith("00-multus.conf")
    assert "(multus delegates to multus)" in event.message


def test_a_pasted_config_after_cat_gets_the_printed_path() -> None:
    from multus_forensics.formats.base import ParseContext, TextSource
    from multus_forensics.formats.configs.cni_config import CniConfigFormat

    text = (
        "$ cat /etc/cni/net.d/10-flannel.conflist\n"
        '{"name": "cbr0", "cniVersion": "0.3.1",\n'
        ' "plugins": [{"type": "flannel"}, {"type": "portmap"}]}\n'
    )
    out = CniConfigFormat().parse(TextSource("paste.txt", text), ParseContext())
    prompt, config = frame_to_events(out.events)
    assert prompt.kind == "log"
    assert config.kind == "config:cni"
    assert (config.line, config.nlines) == (2, 2)
    assert config.fields["path"] == "/etc/cni/net.d/10-flannel.conflist"
    assert config.fields["plugin_types"] == ["flannel", "portmap"]
    assert config.fields["self_delegating"] is False


def test_nad_list_gives_one_event_per_nad_with_its_config_flattened() -> None:
    events = frame_to_events(mf.parse(str(CONFIGS / "net-attach-defs.yaml")).to_polars())
    macvlan, loop = events
    assert [e.kind for e in events] == ["config:nad", "config:nad"]
    assert (macvlan.namespace, macvlan.network) == ("lab", "macvlan-conf")
    assert macvlan.fields["master"] == "eth1"
    assert macvlan.fields["plugin_types"] == ["macvlan", "whereabouts"]
    assert macvlan.fields["self_delegating"] is False
    assert loop.fields["types"] == ["multus-shim"]
    assert loop.fields["self_delegating"] is True
    # every line belongs to exactly one NAD
    assert macvlan.line + macvlan.nlines == loop.line


def test_single_nad_as_json_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "nad.json"
    path.write_text(
        '{"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",\n'
        ' "metadata": {"name": "sriov-a", "namespace": "lab", "annotations":\n'
        '   {"k8s.v1.cni.cncf.io/resourceName": "intel.com/sriov_netdevice"}},\n'
        ' "spec": {"config": "{\\"cniVersion\\": \\"0.3.1\\", \\"type\\": \\"sriov\\"}"}}\n',
        encoding="utf-8",
    )
    log = mf.parse(str(path))
    (event,) = frame_to_events(log.to_polars())
    assert log.stats.files[0].format == "net-attach-def"
    assert event.fields["resource_name"] == "intel.com/sriov_netdevice"
    assert event.fields["types"] == ["sriov"]


def test_listing_entries_carry_their_folder_from_the_command() -> None:
    events = frame_to_events(mf.parse(str(CONFIGS / "ls-cni.txt")).to_polars())
    entries = [e for e in events if e.kind == "listing:entry"]
    assert [e.message for e in entries] == [
        "/etc/cni/net.d/00-multus.conf",
        "/etc/cni/net.d/10-flannel.conflist",
        "/opt/cni/bin/bridge",
        "/opt/cni/bin/flannel",
    ]
    assert entries[0].fields["type"] == "-"
    assert sum(e.nlines for e in events) == 8


def test_listing_with_dir_headers_and_links(tmp_path: Path) -> None:
    path = tmp_path / "ls.txt"
    path.write_text(
        "/opt/cni/bin:\ntotal 4\n"
        "lrwxrwxrwx 1 root root 21 2026-03-02 10:14 multus -> /opt/multus/bin/multus\n"
        "\n/var/lib/cni/multus:\n"
        "-rw-r--r-- 1 root root 512 Mar  2 10:14 5e1a0c\n",
        encoding="utf-8",
    )
    entries = [
        e for e in frame_to_events(mf.parse(str(path)).to_polars()) if e.kind == "listing:entry"
    ]
    assert [e.message for e in entries] == ["/opt/cni/bin/multus", "/var/lib/cni/multus/5e1a0c"]
    assert entries[0].fields["target"] == "/opt/multus/bin/multus"


def test_config_samples_are_diagnosed_from_the_configuration_itself() -> None:
    assert mf.diagnose(str(CONFIGS / "ls-cni.txt")).top == "stale_multus_config_after_uninstall"
    assert mf.diagnose(str(CONFIGS / "00-multus.conf")).top == "multus_self_delegation"
    nads = mf.diagnose(str(CONFIGS / "net-attach-defs.yaml"))
    assert nads.top == "multus_self_delegation"
    assert nads[0].rule == "CONFIG-SELF-DELEGATING"


@pytest.mark.parametrize(
    "error",
    [
        'failed to destroy network for sandbox "5e1a": plugin type="multus" name="multus-cni-network" failed (delete): Multus: [lab/api-7]: error getting pod: Unauthorized',
        'CmdAdd (shim): failed to send CNI request: Post "http://dummy/cni": dial unix /run/multus/multus.sock: connect: connection refused',
        "Multus: [lab/api-7]: error getting k8s client: GetK8sClient: failed to get context for the kubeconfig /etc/cni/net.d/multus.d/multus.kubeconfig: stat /etc/cni/net.d/multus.d/multus.kubeconfig: no such file or directory",
    ],
)
def test_a_listing_of_the_leftover_config_turns_a_shared_surface_into_the_stale_cause(
    error: str, tmp_path: Path
) -> None:
    paste = tmp_path / "error.txt"
    paste.write_text(error + "\n", encoding="utf-8")
    diag = mf.diagnose([str(paste), str(CONFIGS / "ls-cni.txt")])
    assert diag.top == "stale_multus_config_after_uninstall"
    assert any("left" in r for r in diag[0].reasons) or diag[0].rule == "CONFIG-LEFTOVER-MULTUS"


def test_sosreport_listing_takes_its_folder_from_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "ls_-lanR_.etc.cni.net.d"
    path.write_text(
        "total 8\n-rw-------. 1 0 0 1104 Mar  2 10:14 00-multus.conf\n"
        "-rw-r--r--. 1 0 0  292 Feb 11  2025 10-flannel.conflist\n",
        encoding="utf-8",
    )
    log = mf.parse(str(path))
    assert log.stats.files[0].format == "cni-listing"
    entries = [e for e in frame_to_events(log.to_polars()) if e.kind == "listing:entry"]
    assert [e.message for e in entries] == [
        "/etc/cni/net.d/00-multus.conf",
        "/etc/cni/net.d/10-flannel.conflist",
    ]
