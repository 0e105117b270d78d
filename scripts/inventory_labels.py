"""Which root cause an upstream error text stands for, for ``scripts/build_inventory.py``.

``LABELS``: ordered ``(regex on the text, label, fill)``; ``fill`` is a realistic value for the
text's last ``%v``/``%w`` (what the wrapped error is when the text means that cause), used by the
inventory test to build a sample. ``GENERIC``: ordered ``(regex on "repo:file:text", reason)``
for texts that name no taxonomy cause. A text matched by neither gets an empty label, which the
inventory test reports.
"""

from __future__ import annotations

import regex

LABELS: list[tuple[str, str, str]] = [
    # Multus delegating to itself (a multus-typed delegate or a NAD pointing at multus)
    (r"at least one delegate/clusterNetwork must be specified", "multus_self_delegation", ""),
    (r"to prevent recursive config load", "multus_self_delegation", ""),
    # Multus's own API client
    (
        r"GetK8sClient: failed to get context for the kubeconfig",
        "kubeconfig_auth_failure",
        "stat /etc/cni/net.d/multus.d/multus.kubeconfig: no such file or directory",
    ),
    (
        r"GetK8sClient: failed to get context for in-cluster kube config",
        "kubeconfig_auth_failure",
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined",
    ),
    (
        r"failed to (?:load|reload) bootstrap kubeconfig|per-node kubeconfig|certificate was not signed",
        "kubeconfig_auth_failure",
        "x509: certificate has expired or is not yet valid",
    ),
    # the API server itself
    (r"error getting pod by service unavailable", "api_server_unreachable", "Service Unavailable"),
    # the pod is gone
    (
        r"expected pod %s/%s UID %q but got %q from Kube API|pod not found during Multus GetPod",
        "pod_not_in_api",
        "",
    ),
    (r"pod was already deleted", "pod_not_in_api", 'pods "web-1" not found'),
    (
        r"validateIfName: no net namespace",
        "pod_not_in_api",
        'failed to Statfs "/var/run/netns/cni-1": no such file or directory',
    ),
    # network definitions that cannot be resolved
    (
        r"cannot find (?:get )?a network-attachment-definition",
        "nad_not_found",
        'network-attachment-definitions.k8s.cni.cncf.io "macvlan-conf" not found',
    ),
    (
        r"getDefaultNetDelegateCRD: failed to get network resource",
        "nad_not_found",
        "the server could not find the requested resource",
    ),
    (
        r"(?i)no networks found in %s|no network available with the name",
        "nad_not_found",
        "/etc/cni/multus/net.d",
    ),
    (
        r"GetDefaultNetworks: failed to get clusterNetwork|getNetDelegate: cannot find network",
        "nad_not_found",
        "open /etc/cni/multus/net.d/10-net.conf: no such file or directory",
    ),
    # delegate configuration unusable
    (
        r"no plugin name provided|must have the 'type'|delegate must have the 'type' or 'plugin' field|"
        r"no 'type'; perhaps this is|does not have a 'type' key|error parsing configuration(?: list)?: "
        r"(?:no name|missing 'type'|no 'plugins' key|no plugins in list)|plugin name %q did not match config type|"
        r"invalid plugin name|\"master\" field is required|IPAM config missing 'ipam' key|"
        r"unknown (?:macvlan|ipvlan) mode|invalid VLAN ID|do you have the 'range' parameter set|"
        r"you have not configured the storage engine|LoadConf\(\): vlan id %d invalid|"
        r"is expected to be in CIDR notation|kernel device path %q must be absolute",
        "invalid_delegate_config",
        "",
    ),
    # versions
    (
        r"does not support config version|unsupported CNI result(?:22)? version|cannot convert version|"
        r"does not support more than 1 address per family|does not support the CHECK command|"
        r"Multus cni version is %q while master plugin cni version|cannot convert: no valid IP addresses|"
        r"result type supports %v but unmarshalled CNIVersion",
        "cni_version_mismatch",
        "",
    ),
    # plugins missing on the node
    (r"failed to find plugin", "cni_plugin_not_installed", "[/opt/cni/bin]"),
    (
        r"error dialing DHCP daemon",
        "cni_plugin_not_installed",
        "dial unix /run/cni/dhcp.sock: connect: connection refused",
    ),
    # the thick daemon
    (
        r"CheckAPIReadyNow: Daemon not reachable over socketfile",
        "multus_daemon_unavailable",
        "dial unix /run/multus/multus.sock: connect: no such file or directory",
    ),
    (
        r"^ovn-org/ovn-kubernetes:.*:failed to send CNI request",
        "default_network_not_ready",
        'Post "http://dummy/": dial unix /var/run/ovn-kubernetes/cni//ovn-cni-server.sock: connect: connection refused',
    ),
    (
        r"^ovn-org/ovn-kubernetes:.*:failed to get pod annotation",
        "default_network_not_ready",
        "timed out waiting for annotations: context deadline exceeded",
    ),
    (
        r"^k8snetworkplumbingwg/multus-cni:.*:failed to send CNI request",
        "multus_daemon_unavailable",
        'Post "http://dummy/cni": dial unix /run/multus/multus.sock: connect: connection refused',
    ),
    (
        r"failed to prepare the cni-socket|failed to start the CNI server using socket",
        "multus_daemon_unavailable",
        "",
    ),
    # the primary CNI is not up yet
    (
        r"(?i)still waiting for readinessindicatorfile|PollImmediate error waiting for ReadinessIndicatorFile|"
        r"error checking readinessindicatorfile|could not find a plugin configuration in|"
        r"cannot find (?:valid )?master CNI config in|failed to find the (?:cluster master|primary) CNI plugin",
        "default_network_not_ready",
        "timed out waiting for the condition",
    ),
    # IPAM
    (
        r"no IP addresses available in range set|requested IP address %s is not available in range set",
        "ipam_pool_exhausted",
        "",
    ),
    # parents of macvlan / ipvlan
    (r"failed to lookup master %q", "master_interface_missing", "Link not found"),
    (
        r"failed to create (?:macvlan|ipvlan): %v",
        "macvlan_parent_unusable",
        "device or resource busy",
    ),
    # SR-IOV / host-device devices
    (
        r"VF pci addr is required|specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\"",
        "sriov_device_not_allocated",
        "",
    ),
    (
        r"LoadConf\(\): failed to get VF information",
        "sriov_device_wrong_type",
        '"lstat /sys/bus/pci/devices/0000:3b:00.0/physfn/net: no such file or directory"',
    ),
    (
        r"no net directory under pci device|failed to find network device in path",
        "sriov_device_wrong_type",
        "",
    ),
    # interface names
    (
        r"container veth name provided \(%v\) already exists|container veth name %q peer name %q already exists",
        "duplicate_ifname_in_request",
        "",
    ),
    # state DEL needs
    (
        r"error reading the delegates|failed to read container data in the path|"
        r"failed to get the cached delegates file",
        "teardown_state_missing",
        "open /var/lib/cni/multus/3f1c: no such file or directory",
    ),
]

_WRAP_END = r"(?:%[vwsq]|%\+v)[).]?\s*$"

GENERIC: list[tuple[str, str]] = [
    (
        r"validateIfName: interface name %s already exists",
        "ambiguous on its own: self-delegation or a duplicate request; decided by the add order in "
        "context (rules SELFDEL-*, DUP-*)",
    ),
    (
        r":[^:]*:(?i)[^:]*(?:marshal|serializ|encode|decode|remarshal|typecast|json)",
        "(de)serialisation of data the component produced itself; no cause outside a bug",
    ),
    (
        r"(?i)\b(?:mac|mtu|promisc\w*|hairpin|vlan|trunk|sysctl|tuning|queue|multicast|spoofchk|trust|"
        r"tx_rate|link.state|arp_notify|ndisc|GARP|NA message|route|iptables|ip6tables|nftables|dnat|"
        r"chain|conntrack|ethtool|OVS|qos|ingress_policing|proxy_arp|forwarding|isolated|alias|bridge|"
        r"veth|rename|tempNS|netns|namespace|hostNS|up|down|IP address|addr|backup|file %)",
        "plugin-internal network setting (netlink, sysctl, firewall, namespaces) on an existing "
        "interface; a kernel-level failure, not a Multus or configuration cause",
    ),
    (
        r"^containerd/containerd:|^cri-o/cri-o:",
        "container-runtime sandbox step or CNI call-site wrapper; the wrapped CNI error decides the cause",
    ),
    (_WRAP_END, "wrapper: prefixes an inner error, which decides the cause"),
    (
        r"^k8snetworkplumbingwg/multus-cni:(?:cmd|pkg/server/config|pkg/server)/",
        "Multus installer or daemon internals (config generation, certificates, HTTP server); a "
        "daemon that cannot start is covered by the DAEMON-FATAL rule",
    ),
    (
        r"^k8snetworkplumbingwg/multus-cni:",
        "Multus input validation of runtime arguments or annotations (CNI_ARGS, pod annotation "
        "syntax); a user error on one pod, not a taxonomy cause",
    ),
    (
        r"^containernetworking/cni:",
        "libcni internals (cache files, argument parsing, version parsing); no taxonomy cause",
    ),
    (
        r"^containernetworking/plugins:",
        "plugin input validation or internal step with no taxonomy cause",
    ),
    (
        r"^k8snetworkplumbingwg/whereabouts:",
        "whereabouts reconciler, controller or storage internals; no taxonomy cause",
    ),
    (
        r"^k8snetworkplumbingwg/sriov-cni:|^k8snetworkplumbingwg/sriov-network-device-plugin:",
        "SR-IOV VF configuration step (link settings, allocation files); no taxonomy cause",
    ),
    (
        r"^ovn-org/ovn-kubernetes:",
        "ovn-kubernetes CNI server or shim internals; the primary network's own failure",
    ),
]


def label_of(repo: str, file: str, text: str) -> tuple[str, str, str]:
    """(label or ``generic`` or empty, reason, fill) of one inventory text."""
    for pattern, label, fill in LABELS:
        # a pattern starting with the repository name is scoped to it
        subject = f"{repo}:{file}:{text}" if pattern.startswith("^") and "/" in pattern else text
        if regex.search(pattern, subject):
            return label, "", fill
    for pattern, reason in GENERIC:
        if regex.search(pattern, f"{repo}:{file}:{text}"):
            return "generic", reason, ""
    return "", "", ""
