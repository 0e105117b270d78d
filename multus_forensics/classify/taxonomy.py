"""The root-cause labels: a public contract (ids never change meaning, new ones are added).

Each label names the root cause that the people who debugged a public case established, not the
surface error. The definitions summarise the project's taxonomy document (labels, signatures,
discriminating evidence); ``unknown`` is the abstention answer and has no rule.
"""

from __future__ import annotations

from typing import Final

#: label id -> one-sentence definition (first sentence of the taxonomy entry)
DEFINITIONS: Final[dict[str, str]] = {
    "multus_self_delegation": (
        "Multus's effective config delegates to multus itself: a 00-multus.conf(list) regenerated from an existing multus config (restart/reboot/eviction race), or a NAD whose `type` is `multus`/`multus-shim`."
    ),
    "duplicate_ifname_in_request": (
        "Two things in one pod netns claim the same interface name, without any self-delegation: two interface-creating plugins chained in one conflist, the same plugin invoked twice (as default and as a secondary), a host-device move whose host name collides, or a multus bug that hands two delegates the same ifname."
    ),
    "kubeconfig_auth_failure": (
        "Multus's own API client cannot authenticate or connect with its kubeconfig: the bound SA token expired and was never refreshed, the CA was rotated (x509), or the kubeconfig file is missing or moved."
    ),
    "stale_multus_config_after_uninstall": (
        "Multus was removed, but its CNI config (00-multus.conf) or the kubelet's view of it is still in /etc/cni/net.d, so kubelet keeps invoking multus without its SA, kubeconfig or daemon."
    ),
    "api_server_unreachable": (
        "Multus or whereabouts reaches the API, but the API is unavailable or slow (503, etcd leader change, context deadline)."
    ),
    "pod_not_in_api": (
        "The sandbox's pod does not exist in the API: it was deleted during ADD/DEL (a race), force-deleted, or the sandbox was created outside the kubelet (crictl) with no namespace."
    ),
    "nad_not_found": (
        "The referenced network definition cannot be resolved: the NAD is missing in that namespace, the NAD CRD is not installed or not served, or the clusterNetwork/defaultNetworks/`confDir` file is absent."
    ),
    "invalid_delegate_config": (
        "The delegate (NAD) JSON is unusable by the plugin or library: a missing `name`/`type`, a conflist that old multus could not parse, or required IPAM fields missing."
    ),
    "cni_version_mismatch": (
        "Config `cniVersion` and plugin or runtime support disagree, or the version is missing (k8s ≥ 1.16 rejects it)."
    ),
    "cni_plugin_not_installed": (
        "A plugin that the config references is not available on that node: the binary is absent from the bin dir (including a wrong bin dir on GKE/k3s), or the plugin's required companion daemon (dhcp) is not running or is deployed without host mounts."
    ),
    "multus_daemon_unavailable": (
        "In thick mode the multus daemon is not serving: it was OOM-killed or evicted, its init container is stuck (cp onto a busy shim after a reboot), or it is restarting and has just deleted its own config."
    ),
    "default_network_not_ready": (
        "The cluster-default (primary) CNI is not up yet on the node (flanneld, ovnkube-node or cilium-agent not running), so its delegate or multus's readiness gate fails."
    ),
    "ipam_pool_exhausted": (
        "The IPAM range has no free address, because the range is tiny or mis-specified (the exclude list covers it) or because allocations are held by stale or replacement pods."
    ),
    "ipam_leak_on_delete": (
        "DEL for a delegate fails or is given an incomplete config, so IPs are never released and the pool eventually drains."
    ),
    "master_interface_missing": (
        "The macvlan/ipvlan/vlan master (parent) named in the NAD does not exist on the node under that name (different NIC naming, altname, missing eth0)."
    ),
    "macvlan_parent_unusable": (
        "The master exists but the kernel refuses to add a macvlan on it: it is already enslaved (bridge or bond) or already carries ipvlan links."
    ),
    "secondary_default_route_conflict": (
        "A delegate that assumes it is the primary network (calico, aws-vpc-cni) is attached as a secondary and tries to install a default route that the primary already set."
    ),
    "sriov_device_not_allocated": (
        "The SR-IOV or host-device delegate received no device ID: the pod has no extended-resource request/limit, the NAD lacks the resourceName annotation, or the device plugin exposes no matching VF."
    ),
    "sriov_device_wrong_type": (
        "A device was allocated, but it is not what the plugin needs: a PF or virtio or VM-passthrough NIC given to sriov-cni (no physfn), or a VF bound to vfio-pci given to a netdev-based path."
    ),
    "teardown_state_missing": (
        "DEL cannot be completed because the state it needs is gone: the multus cache for the sandbox was never written (ADD failed) or is truncated, or the device ID from ADD time is no longer available."
    ),
    "multus_bug": (
        "A defect in a specific multus release (confirmed and fixed upstream) whose surface error mimics a configuration problem."
    ),
    "unknown": ("The thread never established a cause."),
}
UNKNOWN: Final = "unknown"
#: labels a rule may name (everything but ``unknown``), in the taxonomy's order
LABELS: Final[tuple[str, ...]] = tuple(k for k in DEFINITIONS if k != UNKNOWN)
