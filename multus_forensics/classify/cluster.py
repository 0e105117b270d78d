"""Templates of errors no rule explains, mined with drain3 after unwrapping.

Clustering the innermost error (not the whole wrapped line) keeps one cause in one template
whether it arrived through kubelet, containerd and multus or as a bare pasted line; IDs,
addresses and numbers are masked first so that each retry does not open a new template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from multus_forensics.classify.context import unwrapped_text
from multus_forensics.classify.findings import Unclassified

if TYPE_CHECKING:
    from multus_forensics.classify.context import EventView

_MASKS = (
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UID"),
    (r"\b[0-9a-f]{32,64}\b", "ID"),
    (r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?", "IP"),
    (r"(?<![\w./-])\d+(?:\.\d+)?(?![\w./-])", "NUM"),
)


def _miner() -> Any:
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()
    cfg.masking_instructions = [MaskingInstruction(p, name) for p, name in _MASKS]
    cfg.drain_sim_th = 0.5
    cfg.profiling_enabled = False
    return TemplateMiner(config=cfg)


def cluster_unexplained(views: Sequence[EventView]) -> list[Unclassified]:
    """One :class:`Unclassified` per template, most frequent first; never drops an error."""
    if not views:
        return []
    miner = _miner()
    # a node log repeats each error thousands of times: mine each distinct text once
    distinct: dict[str, list[Any]] = {}
    for v in views:
        text = " ".join(unwrapped_text(v.leaf or v.error_text).split())
        seen = distinct.get(text)
        if seen is None:
            distinct[text] = [1, v]
        else:
            seen[0] += 1
    examples: dict[int, EventView] = {}
    counts: dict[int, int] = {}
    for text, (count, v) in distinct.items():
        cid = int(miner.add_log_message(text)["cluster_id"])
        examples.setdefault(cid, v)
        counts[cid] = counts.get(cid, 0) + count
    out = []
    for cluster in miner.drain.clusters:
        v = examples[cluster.cluster_id]
        out.append(
            Unclassified(
                template=cluster.get_template(),
                count=counts[cluster.cluster_id],
                example=v.error_text,
                file=v.event.file,
                line=v.event.line,
            )
        )
    return sorted(out, key=lambda u: (-u.count, u.template))
