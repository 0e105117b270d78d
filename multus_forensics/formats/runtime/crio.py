"""CRI-O's log (logrus text), from ``journalctl -u crio`` exports or ``/var/log/crio*.log``.

Two timestamp shapes occur (FORMATS.md §4.2): older CRI-O wrote ``time="2023-02-27
12:49:27.161112967Z"`` (space, 9 digits); newer CRI-O writes RFC 3339 nano with trailing zeros
trimmed and request-scoped fields ``id=<uuid> name=/runtime.v1.RuntimeService/RunPodSandbox``::

    time="2023-02-27 12:49:27.161112967Z" level=info msg="Adding pod lab_probe-… to CNI network \\"multus-cni-network\\" (type=multus)"
    time="2025-08-05T15:42:48.04893036+08:00" level=info msg="Got pod network &{Name:probe-… Namespace:lab ID:<64hex> UID:<uid> NetNS:/var/run/netns/… …}" id=… name=/runtime.v1.RuntimeService/RunPodSandbox
    time="2025-08-05T15:42:47.8+08:00" level=info msg="Found CNI network multus-cni-network (type=multus) at /etc/cni/net.d/00-multus.conf"

ocicni names pods ``<namespace>_<name>`` (namespace first); sandbox names are
``k8s_<name>_<ns>_<uid>_<attempt>(<64hex>)``. Parsing is shared with containerd
(:func:`.containerd.parse_logrus_source`); only the source name and the sniff differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.runtime._logrus import LOGRUS_LINE
from multus_forensics.lazyre import lazy
from multus_forensics.registry import FORMAT_GLOBS

_LOGRUS_RE: Final = lazy(LOGRUS_LINE)
_MARKERS: Final = lazy(
    r'^time="\d{4}-\d\d-\d\d \d'  # older CRI-O stamp
    r"|name=/runtime\.v1(?:alpha2)?\.(?:Runtime|Image)Service/"
    r"| (?:to|from) CNI network \\\"|Found CNI network |Got pod network &\{|k8s_\S+_\d+\([0-9a-f]{64}\)"
)


def logrus_share(head: Sequence[str]) -> float:
    """Share of head lines that are logrus text records (``time="…" level=… msg=…``)."""
    if not head:
        return 0.0
    return sum(1 for line in head if _LOGRUS_RE.match(line)) / len(head)


def crio_markers(head: Sequence[str]) -> float:
    """Share of head lines carrying something only CRI-O writes (see :data:`_MARKERS`)."""
    if not head:
        return 0.0
    return sum(1 for line in head if _MARKERS.search(line)) / len(head)


class CrioFormat(LogFormat):
    name: ClassVar[str] = "crio"
    aliases: ClassVar[tuple[str, ...]] = ("cri-o",)
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["crio"]
    description: ClassVar[str] = "CRI-O log (logrus text, old and new timestamps)"

    def sniff(self, head: Sequence[str]) -> float:
        share = logrus_share(head)
        markers = crio_markers(head)
        if share == 0.0 or markers == 0.0:
            return 0.0
        return min(1.0, 0.6 + 0.3 * share + 0.1 * markers)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        from multus_forensics.formats.runtime.containerd import parse_logrus_source

        return parse_logrus_source(src, ctx, self.name, "crio")
