"""Error-chain unwrapping: layers, fields, quoting levels, dedup of kubelet call sites, old texts.

All error strings are made up for these tests following the shapes in FORMATS.md §1/§5.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from multus_forensics.chain import (
    ErrorChain,
    decode_byte_array,
    failure_key,
    mask,
    same_failure,
    unquote_levels,
    unwrap_error,
)

SB = "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
UID = "0b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e"
POD = "sink-5c7d9f8b6-zx2lp"
NS = "tenant-a"
TARGET = f"{POD}_{NS}({UID})"
CORE = (
    f'failed to setup network for sandbox "{SB}": plugin type="multus" name="multus-cni-network" '
    f'failed (add): [{NS}/{POD}/{UID}:bridge-conf]: error adding container to network "bridge-conf": '
    'DelegateAdd: cannot set "bridge" interface name to "net1": '
    "validateIfName: interface name net1 already exists"
)
RPC = "rpc error: code = Unknown desc = " + CORE


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kinds(chain: ErrorChain) -> list[str]:
    return [layer.kind for layer in chain.layers]


def test_containerd_chain_peels_every_layer_in_order_with_its_fields() -> None:
    chain = unwrap_error(RPC)
    assert kinds(chain) == [
        "cri",
        "runtime",
        "libcni",
        "multus",
        "multus-func",
        "multus-func",
        "leaf",
    ]
    assert chain.leaf == "interface name net1 already exists"
    assert chain.get("grpc_code") == "Unknown"
    assert chain.get("sandbox_id") == SB
    assert chain.get("plugin_type") == "multus"
    assert chain.innermost("plugin_type") == "bridge"
    assert chain.get("plugin_name") == "multus-cni-network"
    assert chain.get("network") == "bridge-conf"
    assert chain.get("pod_uid") == UID
    assert (chain.get("namespace"), chain.get("pod")) == (NS, POD)
    assert chain.innermost("interface") == "net1"
    assert chain.op == "add"
    assert not chain.truncated
    assert chain.find("multus-func")[1].fields["function"] == "validateIfName"


def test_kubelet_four_call_sites_are_one_failure() -> None:
    sites = [
        RPC,  # RunPodSandbox from runtime service failed (err=)
        RPC,  # Failed to create sandbox for pod (err=)
        "Failed to create pod sandbox: " + RPC,  # the event
        'failed to "CreatePodSandbox" for "'
        + TARGET
        + '" with CreatePodSandboxError: '
        + _go_quote(f'Failed to create sandbox for pod "{TARGET}": {RPC}'),
        'failed to "CreatePodSandbox" for "'
        + TARGET
        + '" with CreatePodSandboxError: '
        + _go_quote(f'CreatePodSandbox for pod "{TARGET}" failed: {RPC}'),
    ]
    keys = {failure_key(unwrap_error(s)) for s in sites}
    assert keys == {(SB, unwrap_error(RPC).core)}


def test_pod_worker_text_names_pod_and_action_and_undoes_inner_quoting() -> None:
    text = (
        'failed to "CreatePodSandbox" for "'
        + TARGET
        + '" with CreatePodSandboxError: '
        + _go_quote(f'Failed to create sandbox for pod "{TARGET}": {RPC}')
    )
    chain = unwrap_error(text)
    assert kinds(chain)[:3] == ["kubelet", "kubelet", "cri"]
    first = chain.layers[0].fields
    assert first["action"] == "CreatePodSandbox"
    assert (first["namespace"], first["pod"], first["pod_uid"]) == (NS, POD, UID)
    assert '\\"' not in chain.text
    assert chain.leaf == "interface name net1 already exists"


def test_journal_escaped_levels_are_all_undone() -> None:
    once = _go_quote(RPC)[1:-1]
    twice = _go_quote(once)[1:-1]
    assert unquote_levels(once) == RPC
    assert unquote_levels(twice) == RPC
    assert unquote_levels(_go_quote(RPC)) == RPC
    assert unwrap_error(twice).leaf == "interface name net1 already exists"


def test_kill_pod_sandbox_names_uid_only_and_delete_layers() -> None:
    text = (
        f'error killing pod: failed to "KillPodSandbox" for "{UID}" with KillPodSandboxError: '
        + _go_quote(
            f'rpc error: code = Unknown desc = failed to destroy network for sandbox "{SB}": '
            'plugin type="multus" name="multus-cni-network" failed (delete): '
            'DelegateDel: error invoking ConflistDel - "cbr0": conflistDel: error in getting '
            "result from DelNetworkList: failed to parse netconf: unexpected end of JSON input"
        )
    )
    chain = unwrap_error(text)
    assert chain.op == "del"
    assert chain.layers[1].fields == {"pod_uid": UID, "action": "KillPodSandbox", "op": "del"}
    assert chain.get("sandbox_id") == SB
    assert chain.get("network") == "cbr0"
    assert chain.leaf == "failed to parse netconf: unexpected end of JSON input"
    assert [f.fields["function"] for f in chain.find("multus-func")] == [
        "DelegateDel",
        "conflistDel",
    ]


def test_crio_chain_names_attempt_and_network() -> None:
    text = (
        f"rpc error: code = Unknown desc = failed to create pod network sandbox "
        f"k8s_{POD}_{NS}_{UID}_3({SB}): error adding pod {NS}_{POD} to CNI network "
        '"multus-cni-network": plugin type="multus" name="multus-cni-network" failed (add): '
        f'[{NS}/{POD}/{UID}:vlan20]: error adding container to network "vlan20": '
        'failed to lookup master "ens9f1": Link not found'
    )
    chain = unwrap_error(text)
    assert kinds(chain) == ["cri", "runtime", "runtime", "libcni", "multus", "plugin", "leaf"]
    runtime = chain.layers[1].fields
    assert runtime["runtime"] == "crio"
    assert (runtime["attempt"], runtime["sandbox_id"], runtime["pod_uid"]) == ("3", SB, UID)
    assert chain.layers[2].fields["namespace"] == NS
    assert chain.layers[2].fields["pod"] == POD
    assert chain.innermost("master") == "ens9f1"
    assert chain.leaf == "Link not found"


def test_thick_shim_400_body_and_stdin_data_tail() -> None:
    body = (
        f'ContainerID:"{SB}" Netns:"/var/run/netns/cni-11aa" IfName:"eth0" '
        f'Args:"IgnoreUnknown=1;K8S_POD_NAMESPACE={NS};K8S_POD_NAME={POD};'
        f'K8S_POD_INFRA_CONTAINER_ID={SB};K8S_POD_UID={UID}" Path:"" ERRORED: error configuring '
        f"pod [{NS}/{POD}] networking: [{NS}/{POD}/{UID}:vlan20]: error adding container to "
        'network "vlan20": plugin type="macvlan" failed (add): failed to create macvlan: '
        "device or resource busy"
    )
    conf = '{"cniVersion":"0.3.1","name":"multus-cni-network","type":"multus-shim"}'
    text = (
        f'rpc error: code = Unknown desc = failed to setup network for sandbox "{SB}": '
        'plugin type="multus-shim" name="multus-cni-network" failed (add): CmdAdd (shim): '
        f"CNI request failed with status 400: '{body}\n': StdinData: {conf}"
    )
    chain = unwrap_error(text)
    assert kinds(chain) == [
        "cri",
        "runtime",
        "libcni",
        "multus-shim",
        "multus-shim",
        "multus-daemon",
        "multus-daemon",
        "multus",
        "libcni",
        "plugin",
        "leaf",
    ]
    assert chain.find("multus-shim")[1].fields["stdin_data"] == conf
    daemon = chain.find("multus-daemon")[0].fields
    assert (daemon["sandbox_id"], daemon["interface"], daemon["pod_uid"]) == (SB, "eth0", UID)
    assert chain.innermost("plugin_type") == "macvlan"
    assert chain.leaf == "device or resource busy"
    assert chain.signature == "failed to create macvlan: device or resource busy"


def test_thick_v40_cmdargs_decode_the_config_byte_array() -> None:
    conf = '{"name":"multus-cni-network","type":"multus-shim"}'
    dump = " ".join(str(b) for b in conf.encode())
    text = (
        f"CNI request failed with status 400: '{{ContainerID:{SB} Netns:/var/run/netns/cni-2b "
        f"IfName:eth0 Args:K8S_POD_NAMESPACE={NS};K8S_POD_NAME={POD} Path:/opt/cni/bin "
        f"StdinData:[{dump}]}} ERRORED: error configuring pod [{NS}/{POD}] networking: "
        f"Multus: [{NS}/{POD}/{UID}]: error waiting for pod: Unauthorized\n'"
    )
    chain = unwrap_error(text)
    daemon = chain.find("multus-daemon")[0].fields
    assert daemon["stdin_data"] == conf
    assert daemon["sandbox_id"] == SB
    assert chain.leaf == "Unauthorized"
    assert decode_byte_array("StdinData:[1 2 300 4 5 6 7 8 9 10]") is None


def test_old_texts_without_libcni_wrapper_and_multus_v3_prefix() -> None:
    text = (
        f'failed to setup network for sandbox "{SB}": Multus: [{NS}/{POD}]: error adding container '
        f'to network "vlan20": delegateAdd: cannot set "macvlan" interface name to "net1": '
        "validateIfName: interface name net1 already exists"
    )
    chain = unwrap_error(text)
    assert "libcni" not in kinds(chain)
    assert chain.get("pod") == POD
    assert chain.get("pod_uid") is None
    assert chain.innermost("interface") == "net1"
    old = unwrap_error(
        'Multus: Err adding pod to network "vlan20": cannot set "macvlan" ifname to '
        '"net1": ifname net1 is already exist'
    )
    assert old.get("network") == "vlan20"
    assert old.innermost("interface") == "net1"
    assert old.leaf == "ifname net1 is already exist"


def test_dockershim_aggregate_members_are_chains() -> None:
    text = (
        "rpc error: code = Unknown desc = [failed to set up sandbox container "
        f'"{SB}" network for pod "{POD}": networkPlugin cni failed to set up pod "{POD}_{NS}" '
        'network: failed to find plugin "sriov" in path [/opt/cni/bin], failed to clean up '
        f'sandbox container "{SB}" network for pod "{POD}": networkPlugin cni failed to '
        f'teardown pod "{POD}_{NS}" network: failed to find plugin "sriov" in path [/opt/cni/bin]]'
    )
    chain = unwrap_error(text)
    assert len(chain.aggregate) == 2
    assert [m.op for m in chain.aggregate] == ["add", "del"]
    assert chain.aggregate[0].get("runtime") == "dockershim"
    assert chain.aggregate[0].get("namespace") == NS
    assert chain.innermost("plugin_type") == "sriov"
    assert chain.leaf.startswith("[failed to set up")


def test_multus_del_error_list_is_an_aggregate() -> None:
    chain = unwrap_error('errors: failed to find plugin "a" in path [/x] / Link not found')
    assert [m.leaf for m in chain.aggregate] == [
        'failed to find plugin "a" in path [/x]',
        "Link not found",
    ]


def test_nested_multus_prefixes_show_self_delegation_in_layers() -> None:
    inner = f'[{NS}/{POD}/{UID}:multus-cni-network]: error adding container to network "multus-cni-network": '
    chain = unwrap_error(inner + inner + "Link not found")
    assert [layer.fields["network"] for layer in chain.find("multus")] == ["multus-cni-network"] * 2


@pytest.mark.parametrize(
    ("text", "leaf"),
    [
        (
            f'rpc error: code = Unknown desc = failed to setup network for sandbox "{SB}": plugi>',
            "plugi",
        ),
        (
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to ...",
            "failed to",
        ),
        ("rpc error: code = Unknown desc = netplugin failed …", "netplugin failed"),
    ],
)
def test_pager_and_length_cuts_are_marked_truncated(text: str, leaf: str) -> None:
    chain = unwrap_error(text)
    assert chain.truncated
    assert chain.leaf == leaf
    assert failure_key(chain)[1].startswith("~")


def test_nil_at_the_end_is_not_truncation() -> None:
    assert not unwrap_error("error dialing DHCP daemon: <nil>").truncated


def test_unknown_text_stops_peeling_and_is_kept_verbatim() -> None:
    text = "rpc error: code = Unknown desc = something new happened: with a colon"
    chain = unwrap_error(text)
    assert kinds(chain) == ["cri", "leaf"]
    assert chain.leaf == "something new happened: with a colon"


def test_signature_masks_ids_ips_paths_and_numbers() -> None:
    leaf = (
        f'failed to Statfs "/var/run/netns/cni-{UID}": {SB} 10.1.2.3/24 fd00::1/64 '
        "be:01:7e:22:90:1c code 17"
    )
    assert mask(leaf) == 'failed to Statfs "<path>": <id> <ip> <ip> <mac> code <n>'
    a = unwrap_error(f"no IP addresses available in range set: 10.0.0.1-10.0.0.1 ({SB})")
    b = unwrap_error(f"no IP addresses available in range set: 10.9.0.7-10.9.0.7 ({UID})")
    assert a.signature != b.signature  # uid vs id placeholders differ, numbers do not
    assert mask("range set: 10.0.0.1-10.0.0.1") == mask("range set: 10.9.0.7-10.9.0.7")


def test_pathological_long_input_peels_in_linear_time() -> None:
    text = "rpc error: code = Unknown desc = " + "[" * 50_000 + 'plugin type="' * 20_000 + "x"
    start = time.perf_counter()
    chain = unwrap_error(text)
    assert time.perf_counter() - start < 2.0
    assert chain.leaf.endswith("x")


_PREFIXES = [
    "rpc error: code = Unknown desc = ",
    f'failed to setup network for sandbox "{SB}": ',
    'plugin type="calico" failed (add): ',
    "error getting pod: ",
    "GetK8sClient: ",
]


@given(
    st.lists(st.sampled_from(_PREFIXES), max_size=5),
    st.text(alphabet="abc xyz:-", min_size=1, max_size=30).filter(lambda s: s.strip() == s),
)
def test_layers_concatenate_back_to_the_text(prefixes: list[str], leaf: str) -> None:
    text = "".join(prefixes) + leaf
    chain = unwrap_error(text)
    assert "".join(layer.text for layer in chain.layers) == text
    assert chain.text == text


@pytest.mark.parametrize(
    ("text", "kinds_before_leaf", "leaf", "op"),
    [
        (
            f"Multus: [{NS}/{POD}/{UID}]: error loading k8s delegates k8s args: TryLoadPodDelegates: "
            "error in getting k8s network for pod: GetNetworkDelegates: failed getting the delegate: "
            "getKubernetesDelegate: cannot find a network-attachment-definition (vlan9) in namespace "
            f'({NS}): network-attachment-definitions.k8s.cni.cncf.io "vlan9" not found',
            ["multus", "multus", "multus-func", "multus-func", "multus-func"],
            f"cannot find a network-attachment-definition (vlan9) in namespace ({NS}): "
            'network-attachment-definitions.k8s.cni.cncf.io "vlan9" not found',
            None,
        ),
        (
            f"rpc error: code = Unknown desc = failed to destroy network for pod sandbox "
            f"k8s_{POD}_{NS}_{UID}_0({SB}): error removing pod {NS}_{POD} from CNI network "
            '"multus-cni-network": plugin type="multus" name="multus-cni-network" failed (delete): '
            f"Multus: [{NS}/{POD}/{UID}]: error getting k8s client: GetK8sClient: failed to get "
            "context for the kubeconfig /etc/cni/net.d/multus.d/multus.kubeconfig: stat "
            "/etc/cni/net.d/multus.d/multus.kubeconfig: no such file or directory",
            ["cri", "runtime", "runtime", "libcni", "multus", "multus", "multus-func"],
            "failed to get context for the kubeconfig /etc/cni/net.d/multus.d/multus.kubeconfig: "
            "stat /etc/cni/net.d/multus.d/multus.kubeconfig: no such file or directory",
            "del",
        ),
        (
            "network is not ready: container runtime network not ready: NetworkReady=false "
            "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not "
            "initialized",
            ["kubelet"],
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
            "message:Network plugin returns error: cni plugin not initialized",
            None,
        ),
        (
            'Multus: error in invoke Delegate add - "flannel": open /run/flannel/subnet.env: no '
            "such file or directory",
            ["multus"],
            "open /run/flannel/subnet.env: no such file or directory",
            "add",
        ),
        (
            'CmdDel (shim): failed to send CNI request: Post "http://dummy/cni": dial unix '
            "/run/multus/multus.sock: connect: connection refused",
            ["multus-shim", "multus-shim"],
            'Post "http://dummy/cni": dial unix /run/multus/multus.sock: connect: connection refused',
            "del",
        ),
    ],
    ids=["nad-not-found", "crio-del-kubeconfig", "network-not-ready", "v3-delegate", "shim-del"],
)
def test_stage_texts_of_every_era_peel_to_their_leaf(
    text: str, kinds_before_leaf: list[str], leaf: str, op: str | None
) -> None:
    chain = unwrap_error(text)
    assert kinds(chain) == [*kinds_before_leaf, "leaf"]
    assert chain.leaf == leaf
    assert chain.op == op


def test_signature_masks_urls_and_socket_paths() -> None:
    chain = unwrap_error(
        'CmdAdd (shim): failed to send CNI request: Post "http://dummy/cni": dial unix '
        "/run/multus/multus.sock: connect: connection refused"
    )
    assert chain.signature == 'Post "<url>": dial unix <path>: connect: connection refused'


def test_chains_are_hashable_values() -> None:
    assert unwrap_error(RPC) == unwrap_error(RPC)
    assert len({unwrap_error(RPC), unwrap_error(RPC), unwrap_error("other")}) == 2


def test_same_failure_across_sources_and_not_across_sandboxes() -> None:
    runtime = unwrap_error(CORE)
    multus_own = unwrap_error(CORE.split("failed (add): ", 1)[1])
    other_sandbox = unwrap_error(CORE.replace(SB, "e" * 64))
    cut = unwrap_error("Failed to create pod sandbox: " + RPC[:120] + " ...")
    assert same_failure(unwrap_error(RPC), runtime)
    assert same_failure(runtime, multus_own)
    assert same_failure(cut, runtime)
    assert not same_failure(runtime, other_sandbox)
    assert not same_failure(runtime, unwrap_error(f'failed to setup network for sandbox "{SB}": x'))


@pytest.mark.parametrize(
    "text",
    [
        "Multus: " * 50_000 + "x",
        '[ns/p:n]: error adding container to network "n": ' * 20_000 + "x",
        "[a, " * 3_000 + "x" + "]" * 3_000,
    ],
    ids=["many-prefixes", "many-multus-layers", "nested-aggregates"],
)
def test_adversarial_nesting_is_capped_and_keeps_the_text(text: str) -> None:
    start = time.perf_counter()
    chain = unwrap_error(text)
    assert time.perf_counter() - start < 2.0
    assert len(chain.layers) <= 65
    assert chain.text == text


def test_an_analysis_scope_unwraps_each_text_once_even_past_the_process_cache() -> None:
    from multus_forensics.chain import _unwrap_cached, shared_chains

    text = 'failed to setup network for sandbox "abc": plugin type="multus" failed (add): boom'
    with shared_chains():
        first = unwrap_error(text)
        _unwrap_cached.cache_clear()  # as when more distinct texts than it holds pass through
        assert unwrap_error(text) is first
        with shared_chains():  # a nested analysis shares the outer one's chains
            assert unwrap_error(text) is first
    _unwrap_cached.cache_clear()
    assert unwrap_error(text) is not first  # the scope ended with its analysis
    assert unwrap_error(text) == first


_CUT_ALPHABET = st.sampled_from(
    ["a", ">", "<", ".", "…", " ", "\t", "\n", "\x1c", "\xa0", "\u2028", "x>", "<nil>"]
)


@given(st.lists(_CUT_ALPHABET, max_size=12).map("".join))
def test_the_end_test_for_a_cut_text_finds_what_the_pattern_search_finds(text: str) -> None:
    from multus_forensics.chain import _TRUNCATED, _truncation_start

    found = _TRUNCATED.search(text)
    assert _truncation_start(text) == (found.start() if found else None)


def _peel_rule_by_rule(rest: str) -> tuple[str, str, dict[str, str], str] | None:
    """The table peel written plainly: the first rule (in table order) whose pattern matches."""
    from multus_forensics import _chain_rules as table

    for rule in table.RULES:
        match = rule.pattern.match(rest)
        if match is None:
            continue
        fields = {k: v for k, v in match.groupdict().items() if v is not None}
        fields.update(rule.fields)
        if rule.post is not None:
            rule.post(fields)
        return rule.kind, match.group(0), fields, rest[match.end() :]
    return None


def _dispatched(rest: str) -> tuple[str, str, dict[str, str], str] | None:
    from multus_forensics.chain import _peel_regex

    found = _peel_regex(rest)
    if found is None:
        return None
    layer, after = found
    return layer.kind, layer.text, dict(layer.fields), after


def _every_suffix_after_a_layer(text: str) -> list[str]:
    """``text`` and each rest a peel can leave (after ``: `` and ``- ``), the shapes peeled."""
    cuts = [0] + [i + 2 for i in range(len(text)) if text.startswith((": ", "- "), i)]
    return [text[c:] for c in cuts if c < len(text)]


def _real_error_texts() -> list[str]:
    """Errors of the committed real excerpts and samples (each line, and its ``err=`` value)."""
    from pathlib import Path

    root = Path(__file__).parent
    texts: list[str] = []
    for base in (root / "data" / "real", root.parent / "sample_logs"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix not in (".gz", ".tgz", ".tar", ".zip", ".xz"):
                for line in path.read_text(errors="replace").splitlines()[:400]:
                    if "error" in line.lower() or "failed" in line.lower():
                        texts.append(unquote_levels(line.split('err="', 1)[-1]))
    return texts


def test_the_first_character_dispatch_peels_as_the_rules_tried_in_order() -> None:
    texts = [CORE, RPC, *_real_error_texts()]
    checked = 0
    for text in texts:
        for rest in _every_suffix_after_a_layer(text):
            assert _dispatched(rest) == _peel_rule_by_rule(rest), rest[:200]
            checked += 1
    assert checked > 1000


_LAYER_WORDS = st.sampled_from(
    [
        "rpc error: code = Unknown desc = ",
        f'failed to setup network for sandbox "{SB}": ',
        'plugin type="multus" name="multus-cni-network" failed (add): ',
        f'[{NS}/{POD}/{UID}:net1]: error adding container to network "net1": ',
        f"Multus: [{NS}/{POD}]: ",
        'Multus: Err adding pod to network "x": ',
        'DelegateAdd: cannot set "macvlan" interface name to "net1": ',
        'delegateAdd: error invoking DelegateAdd - "x": ',
        "Err in tearing down failed plugins: ",
        "CmdAdd (shim): ",
        "failed to allocate for range 0: ",
        "Error at storage engine: ",
        'createPodSandbox for pod "p" failed: ',
        'CreatePodSandbox for pod "p" failed: ',
        "netplugin failed: ",
        "GetK8sClient: ",
        "x",
        "[",
        "]: ",
        '"',
        " ",
        ": ",
    ]
)


@given(st.lists(_LAYER_WORDS, min_size=1, max_size=8).map("".join))
def test_the_dispatch_equals_the_rules_tried_in_order_on_generated_chains(text: str) -> None:
    for rest in _every_suffix_after_a_layer(text):
        assert _dispatched(rest) == _peel_rule_by_rule(rest)
