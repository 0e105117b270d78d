"""Older and rarer wording: Multus v3.x texts, bare libcni lines, the CHECK and DEL paths.

Each text here is an upstream format string (file and tag in the comment) with values of our own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import multus_forensics as mf


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # libcni api.go (v0.7.1..v1.3.0) as the dockershim/kubelet prints an error list
        ('[plugin multus does not support config version ""]', "cni_version_mismatch"),
        # multus v3.4 multus/multus.go cmdDel: the cached delegates do not unmarshal
        (
            "Multus: [lab/db-0]: failed to load netconf: unexpected end of JSON input",
            "teardown_state_missing",
        ),
        # multus v3.4 k8sclient.go GetK8sClient wrapped by cmdAdd's "Err in loading K8s Delegates k8s args"
        (
            "Multus: Err in loading K8s Delegates k8s args: GetK8sClient: failed to get context for the kubeconfig "
            "/etc/cni/net.d/multus.d/multus.kubeconfig: stat /etc/cni/net.d/multus.d/multus.kubeconfig: no such file or directory",
            "kubeconfig_auth_failure",
        ),
        # multus v3.x setting the network status; libcni types/040 conversion
        (
            "Multus: [lab/db-0]: Err in setting networks status: LoadNetworkStatus: error converting the type.Result "
            "to current.Result: cannot convert: no valid IP addresses",
            "cni_version_mismatch",
        ),
        # multus v3.9.3 delegateCheck wrapping a plugin error on CHECK
        (
            'delegateCheck: error invoking ConflistCheck - "lan": conflistCheck: error in getting result from '
            'CheckNetworkList: failed to lookup master "ens9": Link not found',
            "master_interface_missing",
        ),
        # libcni api.go: CHECK on a config older than 0.4.0
        (
            'DelegateCheck: error invoking ConflistCheck - "lan": conflistCheck: error in getting result from '
            'CheckNetworkList: configuration version "0.3.1" does not support the CHECK command',
            "cni_version_mismatch",
        ),
        # plugins macvlan.go on DEL
        (
            'DelegateDel: error invoking DelegateDel - "macvlan": failed to lookup master "ens9": Link not found',
            "master_interface_missing",
        ),
    ],
)
def test_upstream_wording_is_diagnosed(text: str, label: str, tmp_path: Path) -> None:
    path = tmp_path / "paste.txt"
    path.write_text(text + "\n", encoding="utf-8")
    assert mf.diagnose(str(path), year=2026).top == label
