"""Differential diagnosis: which check tells a finding from the look-alikes found beside it.

Several causes share one surface signature (``Unauthorized``, a missing ``multus.kubeconfig``, a
refused ``multus.sock`` are also what a node shows when Multus was uninstalled and left its
config behind). The rules carry, as data, the check that separates their cause from a named
alternative and what each outcome means; a finding lists those whose alternative is among the
findings of the same diagnosis, so the reader gets the one command to run instead of a guess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multus_forensics.classify.catalog import Catalog
    from multus_forensics.classify.findings import Diagnosis


def differentiate(diagnosis: Diagnosis, catalog: Catalog) -> Diagnosis:
    """Attach to each finding the discriminators of its rule against causes also found."""
    causes = {f.root_cause for f in diagnosis.findings}
    rules = {r.id: r for r in catalog.rules}
    out = []
    for finding in diagnosis.findings:
        rule = rules.get(finding.rule)
        found = tuple(
            d
            for d in (rule.discriminators if rule else ())
            if d.against in causes and d.against != finding.root_cause
        )
        out.append(replace(finding, discriminators=found) if found else finding)
    diagnosis.findings = out
    return diagnosis
