"""Pod and sandbox identities that an error text names itself (FORMATS.md §2.7).

Used where a record has no structured identity keys (a bare pasted error line, a kubelet
``RunPodSandbox ... failed`` entry whose only payload is ``err``). Only shapes that name the
identity unambiguously are read; nothing is guessed from partial IDs (``2ac6ef42…``).
Quotes may still be escaped (``sandbox \\"<id>\\"``), so the patterns tolerate backslashes.
"""

from __future__ import annotations

from typing import Final

from multus_forensics.lazyre import lazy

_NAME = r"[a-z0-9][-a-z0-9.]*+"  # possessive: names end at a delimiter, never backtrack
_UID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

#: multus cmdErr / cmdPluginErr prefix: [ns/name/uid:net] (v3.9+), [ns/name:net] (v3.4-v3.8)
MULTUS_POD: Final = lazy(
    rf"\[(?P<ns>{_NAME})/(?P<name>{_NAME})(?:/(?P<uid>{_UID}))?(?::(?P<net>[^\]\s:]+))?\]"
)
#: kubelet format.Pod: name_ns(uid); pod names never contain "_" so the first "_" splits
KUBELET_POD: Final = lazy(rf"(?<![-a-z0-9.])(?P<name>{_NAME})_(?P<ns>{_NAME})\((?P<uid>{_UID})\)")
#: containerd / dockershim: sandbox "<64hex>", sandbox container "<64hex>"
SANDBOX: Final = lazy(r"sandbox(?: container)? \\*\"(?P<id>[0-9a-f]{64})\\*\"")
#: thick plugin request args: K8S_POD_INFRA_CONTAINER_ID is the sandbox ID
THICK_ARGS: Final = lazy(r"K8S_POD_INFRA_CONTAINER_ID=(?P<id>[0-9a-f]{64})\b")
#: multus: error adding container to network "<net>"
NETWORK: Final = lazy(r"error adding container to network \\*\"(?P<net>[^\"\\]+)\\*\"")


def identities_from_text(text: str) -> dict[str, str]:
    """Event columns (namespace, pod, pod_uid, sandbox_id, network) the text names.

    The pod is the first one named (outer layers name the same pod); the network is the
    innermost one, the delegate that actually failed.
    """
    out: dict[str, str] = {}
    brackets = list(MULTUS_POD.finditer(text)) if "[" in text else []
    if brackets:
        m = brackets[0]
        out["namespace"], out["pod"] = m["ns"], m["name"]
        if m["uid"]:
            out["pod_uid"] = m["uid"]
        # nested multus (self-delegation) wraps one bracket per level: the innermost failed
        nets = [b["net"] for b in brackets if b["net"]]
        if nets:
            out["network"] = nets[-1]
    k = KUBELET_POD.search(text) if "_" in text else None
    if k and out.get("pod", k["name"]) == k["name"] and out.get("namespace", k["ns"]) == k["ns"]:
        out.setdefault("namespace", k["ns"])
        out.setdefault("pod", k["name"])
        out.setdefault("pod_uid", k["uid"])
    s = (SANDBOX.search(text) if "sandbox" in text else None) or (
        THICK_ARGS.search(text) if "K8S_POD_INFRA" in text else None
    )
    if s:
        out["sandbox_id"] = s["id"]
    if "network" not in out:
        named = NETWORK.findall(text) if "to network" in text else []
        if named:
            out["network"] = named[-1]
    return out
