"""Result types of :func:`multus_forensics.diagnose`: findings, evidence, unclassified templates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from multus_forensics.model import excerpt


@dataclass(frozen=True)
class Evidence:
    """One input line a finding relies on."""

    file: str
    line: int
    text: str
    claim: str = "match"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "text": self.text, "claim": self.claim}


@dataclass(frozen=True)
class Finding:
    """A root-cause hypothesis with its confidence, explanation, remediation and evidence."""

    root_cause: str
    rule: str
    title: str
    severity: str
    confidence: float
    summary: str
    remediation: tuple[str, ...]
    pods: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    count: int
    evidence: tuple[Evidence, ...]
    reasons: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI contract (plus title, severity, reasons, references)."""
        return {
            "root_cause": self.root_cause,
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "confidence": self.confidence,
            "summary": self.summary,
            "remediation": list(self.remediation),
            "pods": list(self.pods),
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "count": self.count,
            "evidence": [e.to_dict() for e in self.evidence],
            "reasons": list(self.reasons),
            "references": list(self.references),
        }

    def __repr__(self) -> str:
        from multus_forensics.display import finding_repr

        return finding_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see :mod:`multus_forensics.display`)."""
        from multus_forensics.display import finding_html

        return finding_html(self)


@dataclass(frozen=True)
class Unclassified:
    """A template of errors no rule explains, so that nothing is silently dropped."""

    template: str
    count: int
    example: str
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "count": self.count,
            "example": excerpt(self.example, 500),
            "file": self.file,
            "line": self.line,
        }


@dataclass
class Diagnosis:
    """Findings in descending confidence, unclassified templates and input statistics.

    Behaves as the sequence of its findings (``diagnose(p)[0]`` is the best hypothesis).
    """

    findings: list[Finding] = field(default_factory=list)
    unclassified: list[Unclassified] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    #: (input, reason) of inputs that could not be read at all (missing, unreadable, empty)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __repr__(self) -> str:
        from multus_forensics.display import diagnosis_repr

        return diagnosis_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see :mod:`multus_forensics.display`)."""
        from multus_forensics.display import diagnosis_html

        return diagnosis_html(self)

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> list[Finding]: ...
    def __getitem__(self, i: int | slice) -> Finding | list[Finding]:
        return self.findings[i]

    @property
    def top(self) -> str:
        """The best root cause, or ``unknown`` when no rule fired."""
        return self.findings[0].root_cause if self.findings else "unknown"

    def to_dict(self) -> dict[str, Any]:
        """``{"findings": [...], "unclassified": [...], "stats": {...}}`` (the CLI JSON)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "unclassified": [u.to_dict() for u in self.unclassified],
            "stats": dict(self.stats),
        }
