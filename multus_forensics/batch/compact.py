"""Which rows of a stream an analysis can read, so a bundle keeps only those across streams.

A busy node's log is mostly chatter (probes, volume syncs, housekeeping) that no rule, timeline
or report reads. When a bundle is analysed stream by stream, each stream's frame is cut to the
rows that can matter before it is kept, so the memory held across streams follows what the
analysis needs, not the size of the archive. A row is kept when it:

* names a pod, sandbox or container, carries an error, or has a kind other than ``log`` (every
  row a timeline record is made of: :func:`multus_forensics.timeline._records.records`);
* may carry an error text (:func:`multus_forensics.classify.context.error_rows`);
* holds a fragment some rule or predicate selects rows by, or a text normalisation rewrites
  (:func:`multus_forensics.classify.select.catalog_needles`, :func:`~.select.text_mask`);
* is a sign of Multus that abstention or a predicate looks for anywhere in the input;
* is the first or last row of its stream for each node, source and format (which nodes,
  formats and time span the input has; a stream of two rows or more keeps two);

and a stream in which a rule that matches across records (``target = "stream"``) may match
(a record holds one of its fragments) is kept whole, as is every row of a rule whose patterns
name no literal.
The parse accounting (lines, events, issues per stream) is never cut: it comes from the parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.catalog import Catalog

#: identity columns of a timeline record (with ``error`` and any kind but ``log``)
IDENTITY = ("namespace", "pod", "pod_uid", "sandbox_id", "container_id", "error")
#: a stream's first and last row are kept per value of these columns
FACETS = ("node", "source", "format")


@dataclass(frozen=True)
class KeepSpec:
    """What a catalog reads, in a picklable form that travels to batch workers.

    ``needles``: every fragment a selection by text may ask for; ``stream_rules``: the
    (fragments, kinds) of rules matched across records; ``every_row_kinds``: kinds of rules
    whose patterns name no fragment (``()`` for a rule of every kind: then nothing is cut).
    """

    needles: frozenset[str]
    stream_rules: tuple[tuple[frozenset[str] | None, tuple[str, ...]], ...] = ()
    every_row_kinds: tuple[tuple[str, ...], ...] = ()

    @property
    def keeps_everything(self) -> bool:
        return any(not kinds for kinds in self.every_row_kinds)


def keep_spec(catalog: Catalog | None = None) -> KeepSpec:
    """The :class:`KeepSpec` of ``catalog`` (default: the packaged catalog)."""
    from multus_forensics.classify.catalog import load_catalog
    from multus_forensics.classify.predicates import MARKERS
    from multus_forensics.classify.select import catalog_needles, rule_needles

    catalog = catalog or load_catalog()
    stream = tuple(
        (rule_needles(r), tuple(sorted(r.kinds))) for r in catalog.rules if r.target == "stream"
    )
    unknown = tuple(tuple(sorted(r.kinds)) for r in catalog.rules if rule_needles(r) is None)
    return KeepSpec(catalog_needles(catalog.rules, MARKERS), stream, unknown)


def _kinds(kinds: Iterable[str]) -> pl.Expr:
    import polars as pl

    listed = list(kinds)
    return pl.col("kind").is_in(listed) if listed else pl.lit(True)


def keep_mask(spec: KeepSpec) -> pl.Expr:
    """Rows an analysis with ``spec``'s catalog can read (see the module docstring)."""
    import polars as pl

    from multus_forensics.classify.abstain import multus_mentions
    from multus_forensics.classify.predicates import _MULTUS_ALIVE

    timeline = pl.any_horizontal([pl.col(c).is_not_null() for c in IDENTITY]) | (
        pl.col("kind") != "log"
    )
    # abstention's and the predicates' whole-input questions, asked as they ask them
    sign = multus_mentions() | pl.col("raw").str.contains(_MULTUS_ALIVE.pattern)
    return timeline | _read_rows(spec, spec.needles, sign)


#: a literal (ASCII case ignored) in every match of abstention's and the predicates' Multus
#: signs in a text (``abstain._MULTUS_SIGN``, ``predicates._MULTUS_ALIVE``): found by the same
#: pass as the catalog's fragments, a superset of the rows those patterns match
SIGN_LITERALS: Final = frozenset(
    {
        "multus", "network-attachment-definition", "net-attach-def", "k8s.v1.cni.cncf.io",
        "addedinterface", "whereabouts", "sriov", "nad", "config file created @",
    }
)  # fmt: skip


def diagnosis_mask(spec: KeepSpec) -> pl.Expr:
    """Rows a diagnosis with ``spec``'s catalog reads when the input has no interface add (the
    add order then builds no timeline: :mod:`multus_forensics.rowcut`): :func:`keep_mask`
    without the rows that only name a pod, plus what the stream passes read (a date in the
    text, a fallback row saying so). A superset where that is cheaper: the Multus signs in a
    text are their literals, found by the catalog fragments' one pass over the texts."""
    import polars as pl

    from multus_forensics.ingest.content_years import CHECKED, PREFILTER
    from multus_forensics.ingest.years import MOVABLE

    # a date in the text of a row whose year the content may move or check (the vote's rows)
    voter = pl.col("year_source").is_in([*MOVABLE, *CHECKED]).fill_null(False)
    dated = voter & pl.col("raw").fill_null("").str.contains(PREFILTER)
    says = pl.col("fields").fill_null("").str.contains('"fallback"', literal=True)
    signs = (
        pl.col("source").fill_null("").str.starts_with("multus")
        | pl.col("kind").str.starts_with("multus:")
        | pl.col("format").str.starts_with("multus")
        | pl.col("format").str.starts_with("whereabouts")
    )
    other = (pl.col("kind") != "log").fill_null(True) | dated | says
    return other | _read_rows(spec, spec.needles | SIGN_LITERALS, signs)


def _edges() -> pl.Expr:
    """Each stream's first and last row per node, source and format."""
    import polars as pl

    index = pl.int_range(pl.len())
    edges = (index == 0) | (index == pl.len() - 1)
    return edges.over(pl.col("file"), pl.col("member").fill_null(""), *FACETS)


def _read_rows(spec: KeepSpec, needles: frozenset[str], sign: pl.Expr) -> pl.Expr:
    """Rows the classifier reads: errors, rows holding one of ``needles`` (the catalog's
    fragments, and any literal ``sign`` is not asked by), signs of Multus (``sign``), each
    stream's first and last row per facet, every row of a rule naming no fragment."""
    from multus_forensics.classify.context import error_rows
    from multus_forensics.classify.select import text_mask

    mask = error_rows() | text_mask(needles) | sign | _edges()
    for kinds in spec.every_row_kinds:
        mask = mask | _kinds(kinds)
    return mask


def _whole_stream(frame: pl.DataFrame, spec: KeepSpec) -> bool:
    """Whether a rule matched across records may match in this stream: then it is kept whole.

    Such a rule matches the records' texts (raw, else message, with wraps undone) joined by
    newlines. A fragment never holds a newline, so a match holds one of the rule's fragments
    inside one record's text: a stream with no such record has no match, whichever of its rows
    are kept.
    """
    import polars as pl

    from multus_forensics.classify.context import _WRAP
    from multus_forensics.classify.select import holds_any

    raw = pl.col("raw").fill_null("")
    text = pl.when(raw != "").then(raw).otherwise(pl.col("message").fill_null(""))
    unwrapped = text.str.replace_all(_WRAP.pattern, "")
    for needles, kinds in spec.stream_rules:
        if needles is None:
            return True
        held = holds_any(unwrapped, needles)
        if frame.select((_kinds(kinds) & held).any()).item():
            return True
    return False


def compact(frame: pl.DataFrame, spec: KeepSpec | None) -> pl.DataFrame:
    """The rows of one stream's ``frame`` that an analysis with ``spec`` can read, in order
    (``frame`` itself when ``spec`` is ``None`` or every row can matter)."""
    if spec is None or spec.keeps_everything or not frame.height or _whole_stream(frame, spec):
        return frame
    kept = frame.filter(keep_mask(spec))
    return frame if kept.height == frame.height else kept
