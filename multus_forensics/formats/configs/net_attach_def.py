"""NetworkAttachmentDefinitions (``kubectl get net-attach-def -o yaml|json``), single or a ``List``.

A NAD names the CNI config multus runs for a secondary network; pasted, it is often the decisive
evidence (a ``type: multus`` config, a ``master`` the node does not have, a missing
``resourceName`` annotation)::

    apiVersion: k8s.cni.cncf.io/v1
    kind: NetworkAttachmentDefinition
    metadata:
      name: macvlan-conf
      namespace: lab
      annotations: {k8s.v1.cni.cncf.io/resourceName: intel.com/sriov_netdevice}
    spec:
      config: '{"cniVersion": "0.3.1", "type": "macvlan", "master": "eth1", "ipam": {"type": "whereabouts", ...}}'

It reads like any ``kubectl -o yaml|json`` output, so the parsing (documents, Lists, line spans,
damage) is :class:`~multus_forensics.formats.kubectl.kubectl_json.KubectlJson`'s; each NAD becomes one
``config:nad`` event with ``spec.config`` flattened by :mod:`~multus_forensics.formats.configs._cni`.
This format only wins detection when NADs are what the text holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from multus_forensics.formats.kubectl.kubectl_json import KubectlJson
from multus_forensics.lazyre import lazy
from multus_forensics.registry import FORMAT_GLOBS

_NAD: Final = lazy(r"""(?:^|["\s])kind["']?\s*:\s*["']?NetworkAttachmentDefinition\b""")
_NAD_API: Final = lazy(r"k8s\.cni\.cncf\.io/v1")


class NetAttachDefFormat(KubectlJson):
    """NetworkAttachmentDefinition objects as YAML or JSON (single, several, or a List)."""

    name: ClassVar[str] = "net-attach-def"
    aliases: ClassVar[tuple[str, ...]] = ("nad", "network-attachment-definition")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["net-attach-def"]
    description: ClassVar[str] = (
        "NetworkAttachmentDefinitions (kubectl get net-attach-def -o yaml|json)"
    )

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        if any(_NAD.search(line) for line in head):
            return 0.95
        return 0.6 if any(_NAD_API.search(line) for line in head) else 0.0
