"""Kubelet message -> event kind, shared by every parser that reads kubelet records.

klog text, klog JSON and the journald wrappers all see the same kubelet call sites (FORMATS.md
§2.8); keeping the table in one place means a kubelet failure gets the same ``kind`` whichever
output format the node was configured with. Structured messages are matched exactly (klog
``InfoS``/``ErrorS`` messages are constants); pre-structured texts carry their arguments inline,
so they are matched by prefix.

``Creating PodSandbox for pod`` (-v=4) is deliberately ``log``: it always follows ``No sandbox for
pod can be found`` (-v=2) for the same attempt, and two ``start`` kinds would double-count it.
"""

from __future__ import annotations

import re
from typing import Final

#: structured (klog ``*S``) message -> kind; the messages are call-site constants
STRUCTURED_KINDS: Final[dict[str, str]] = {
    "No sandbox for pod can be found. Need to start a new one": "kubelet:sandbox:start",
    "Created PodSandbox for pod": "kubelet:sandbox:created",
    "RunPodSandbox from runtime service failed": "kubelet:sandbox:failed",
    "Failed to create sandbox for pod": "kubelet:sandbox:failed",
    "CreatePodSandbox for pod failed": "kubelet:sandbox:failed",
    "Pod was deleted and sandbox failed to be created": "kubelet:sandbox:failed",
    "Error syncing pod, skipping": "kubelet:pod:sync-error",
    "StopPodSandbox from runtime service failed": "kubelet:sandbox:stop-failed",
    "Failed to stop sandbox": "kubelet:sandbox:stop-failed",
    "killPodWithSyncResult failed": "kubelet:sandbox:stop-failed",
    "Failed to stop sandbox before removing": "kubelet:sandbox:stop-failed",
    "Killing unwanted pod": "kubelet:pod:killing",
    "SyncLoop (PLEG): event for pod": "kubelet:pleg",
    "Container runtime network not ready": "kubelet:network:not-ready",
}

#: pre-structured (glog / klog v1) message shapes, arguments inline; first match wins
LEGACY_KINDS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"Error syncing pod \S+ \(.*\), skipping: "), "kubelet:pod:sync-error"),
    (re.compile(r"[cC]reatePodSandbox for pod \".*\" failed: "), "kubelet:sandbox:failed"),
    (re.compile(r"RunPodSandbox from runtime service failed: "), "kubelet:sandbox:failed"),
    (re.compile(r"Created PodSandbox \"[0-9a-f]+\" for pod "), "kubelet:sandbox:created"),
    (
        re.compile(r"StopPodSandbox \"[0-9a-f]+\" from runtime service failed: "),
        "kubelet:sandbox:stop-failed",
    ),
    (re.compile(r"Failed to stop sandbox \"[0-9a-f]+\""), "kubelet:sandbox:stop-failed"),
    (re.compile(r"killPodWithSyncResult failed: "), "kubelet:sandbox:stop-failed"),
    (re.compile(r"Killing unwanted pod \""), "kubelet:pod:killing"),
    (
        re.compile(r"Error (?:adding network|while adding to cni network): "),
        "kubelet:sandbox:failed",
    ),
)


def kind_for_message(msg: str) -> str:
    """The :data:`~multus_forensics.model.KINDS` entry for a kubelet message, ``log`` if none."""
    kind = STRUCTURED_KINDS.get(msg)
    if kind is not None:
        return kind
    for pattern, legacy_kind in LEGACY_KINDS:
        if pattern.match(msg):
            return legacy_kind
    return "log"
