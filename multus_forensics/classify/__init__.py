"""Root-cause classification: a data-driven rule catalog matched against events in context.

``load_catalog()`` reads the TOML rules, ``diagnose()`` returns ranked findings with evidence and
the templates of errors no rule explains. See ``rules/*.toml`` for the catalog itself.
"""

from __future__ import annotations

from multus_forensics.classify.catalog import LABELS, UNKNOWN, Catalog, Rule, load_catalog
from multus_forensics.classify.engine import diagnose, diagnose_events
from multus_forensics.classify.findings import Diagnosis, Evidence, Finding, Unclassified

__all__ = [
    "LABELS",
    "UNKNOWN",
    "Catalog",
    "Diagnosis",
    "Evidence",
    "Finding",
    "Rule",
    "Unclassified",
    "diagnose",
    "diagnose_events",
    "load_catalog",
]
