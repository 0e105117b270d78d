"""Result types of :func:`multus_forensics.diagnose`: findings, evidence, unclassified templates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, overload

from multus_forensics.model import excerpt


@dataclass(frozen=True, slots=True)
class Evidence:
    """One input record a finding relies on, named so that it can be found again.

    ``member`` is the path inside an archive (nested archives joined with ``!``), so two
    records of the same archive never look alike; :attr:`where` is the one-line reference
    (``bundle.tar.gz!node-1/journal/kubelet.log:123``). ``text`` is what is shown: a window of
    the record around the decisive match (the leaf error), ``…`` where it was cut; ``full`` is
    the whole record. Slotted: one finding may cite hundreds of thousands of records.
    """

    file: str
    line: int
    text: str
    claim: str = "match"
    member: str | None = None
    full: str = ""

    @property
    def where(self) -> str:
        """``file[!member]:line``."""
        return self.file + (f"!{self.member}" if self.member else "") + f":{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "file": self.file,
            "member": self.member,
            "line": self.line,
            "text": self.text,
            "full_text": self.full or self.text,
            "claim": self.claim,
        }


def _probes(anchors: Sequence[str], limit: int) -> Iterator[str]:
    """Each anchor as the record may hold it: whole, quoted once more, then its two ends."""
    for anchor in anchors:
        for text in (anchor, anchor.replace('"', '\\"')):
            yield text[:limit]
            if len(text) > 60:
                yield text[-60:]
                yield text[:60]


#: characters of a record shown around its decisive match
WINDOW_CHARS: Final = 400


def anchored(text: str, anchors: Sequence[str], limit: int = WINDOW_CHARS) -> bool:
    """Whether :func:`window` finds one of ``anchors`` in ``text`` (else it shows the start)."""
    return any(probe in text for probe in _probes(anchors, limit))


def window(text: str, anchors: Sequence[str], limit: int = WINDOW_CHARS) -> str:
    """At most ``limit`` characters of ``text`` centred on the first anchor found in it.

    Anchors are tried in order (the rule's match, then the leaf error); a record with none of
    them in its text shows its start. Cut ends are marked with ``…``.
    """
    if len(text) <= limit:
        return text
    at, size = 0, 0
    for probe in _probes(anchors, limit):
        pos = text.find(probe)
        if pos >= 0:
            at, size = pos, len(probe)
            break
    start = max(0, min(at + size // 2 - limit // 2, len(text) - limit))
    if size and at < start:  # a long anchor: show its start, where it begins to differ
        start = at
    end = start + limit
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@dataclass(frozen=True)
class Discriminator:
    """The one check that tells this finding from a look-alike, and what each outcome means."""

    against: str
    check: str
    outcomes: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "check": self.check,
            "outcomes": [{"when": w, "means": m} for w, m in self.outcomes],
        }


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
    #: checks that tell this finding from alternatives sharing its surface signature
    discriminators: tuple[Discriminator, ...] = ()

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
            "discriminators": [d.to_dict() for d in self.discriminators],
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
    #: ids of the rules whose regex budget ran out (their later searches were skipped, so
    #: their hits may be incomplete): see :class:`~multus_forensics.classify.catalog.RegexBudget`
    exhausted_rules: list[str] = field(default_factory=list)

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
        """``{"findings", "unclassified", "stats", "exhausted_rules"}`` (the CLI JSON)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "unclassified": [u.to_dict() for u in self.unclassified],
            "stats": dict(self.stats),
            "exhausted_rules": list(self.exhausted_rules),
        }
