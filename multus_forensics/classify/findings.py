"""Result types of :func:`multus_forensics.diagnose`: findings, evidence, unclassified templates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, overload

from multus_forensics.model import excerpt

if TYPE_CHECKING:
    import polars as pl


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


class QuietRows:
    """Evidence of rows without an error text, as columns: ``file``, ``line``, ``member``,
    ``full`` (the whole record) and ``claim``, one row per item. Such a row has no chain to
    centre its window on, so its shown text is its record's start (:func:`quiet_text`)."""

    __slots__ = ("_lists", "frame")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._lists: tuple[list[Any], ...] | None = None

    def __len__(self) -> int:
        return self.frame.height

    def item(self, q: int) -> Evidence:
        """The ``q``-th row as an :class:`Evidence` (its columns read into lists once)."""
        lists = self._lists
        if lists is None:
            lists = self._lists = tuple(
                _shared_values(self.frame.get_column(c))
                for c in ("file", "line", "full", "claim", "member")
            )
        file, line, full, claim, member = (column[q] for column in lists)
        return Evidence(file, line, quiet_text(full), claim, member, full)


def quiet_text(full: str) -> str:
    """The shown text of a record cited without an error text: itself, or its start when it
    is longer than the window (:func:`window` with no anchor)."""
    return window(full, []) if full is not None and len(full) > WINDOW_CHARS else full


def _shared_values(column: pl.Series) -> list[Any]:
    """``column.to_list()`` with one object per distinct value (a file's name, held by every
    item citing it, is one string)."""
    import polars as pl

    if column.len() and column.n_unique() == 1:
        return [column[0]] * column.len()
    values = column.to_list()
    if column.dtype != pl.String or column.name == "full":
        return values
    seen: dict[Any, Any] = {}
    return [seen.setdefault(v, v) for v in values]


class EvidenceItems(Sequence[Evidence]):
    """A finding's evidence in input order, the items of rows without an error text kept as
    columns (:class:`QuietRows`) and made into objects only when read. A Multus log's finding
    cites every add of its attempts: hundreds of thousands of objects, made only to be
    written, were a fifth of its diagnosis (``diagnose --json`` writes them from the columns).

    ``slots`` holds, per item, its object or the row number of its columns in ``quiet``.
    Equal to any sequence of the same items (a tuple of them)."""

    __slots__ = ("quiet", "slots")

    def __init__(self, slots: list[Evidence | int], quiet: QuietRows) -> None:
        self.slots, self.quiet = slots, quiet

    def __len__(self) -> int:
        return len(self.slots)

    @overload
    def __getitem__(self, i: int) -> Evidence: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Evidence, ...]: ...
    def __getitem__(self, i: int | slice) -> Evidence | tuple[Evidence, ...]:
        if isinstance(i, slice):
            return tuple(self._made(s) for s in self.slots[i])
        return self._made(self.slots[i])

    def __iter__(self) -> Iterator[Evidence]:
        return map(self._made, self.slots)

    def _made(self, slot: Evidence | int) -> Evidence:
        return self.quiet.item(slot) if isinstance(slot, int) else slot

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"EvidenceItems({len(self)} items)"


def claimed(evidence: Sequence[Evidence], claim: str) -> Iterator[Evidence]:
    """The items of ``evidence`` with ``claim``; of :class:`EvidenceItems`, the quiet rows'
    only when one of them has it (they are the context rows a predicate cited)."""
    if not isinstance(evidence, EvidenceItems):
        return (e for e in evidence if e.claim == claim)
    quiet = evidence.quiet
    if claim in quiet.frame.get_column("claim").unique().to_list():
        return (e for e in evidence if e.claim == claim)
    return (s for s in evidence.slots if not isinstance(s, int) and s.claim == claim)


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
    #: a tuple, or :class:`EvidenceItems` when it cites rows without an error text
    evidence: Sequence[Evidence]
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
