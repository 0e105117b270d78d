"""Rows no diagnosis reads, dropped while a large log is parsed.

A busy node's journal is mostly chatter (probes, volume mounts, housekeeping): a diagnosis reads
the rows that carry an error, a catalog fragment, a Multus sign or a kind other than ``log``
(:func:`multus_forensics.batch.compact.diagnosis_mask`). Kept whole, the chatter set the memory
of ``diagnose``: the file's bytes plus a frame row for every line, several times the file. With a
:class:`RowCut`, the compiled scans (journald and bare klog text:
:mod:`~multus_forensics.formats.kubelet._journalvec`, :mod:`~multus_forensics.formats.kubelet._klogvec`;
containerd and CRI-O logrus text: :mod:`~multus_forensics.formats.runtime._runtimefast`) drop
each chunk's other rows as soon as the chunk is scanned, count their lines (the line accounting
and the input statistics stay those of the whole file) and copy the kept rows' strings out of
the file's bytes, which are then freed with the source. Memory follows the rows kept, not the
file. The Multus log's own scan does not cut: its every pod has adds (see below).

The cut is exact for a diagnosis, or says why it is not (:attr:`CutState.whole`, then
``diagnose`` parses again without it). Three whole-input questions read rows the cut drops:

* an interface add anywhere: the add order reads every row of the pods with adds and every row
  naming no pod (:func:`multus_forensics.classify.addorder._with_adds`);
* a rule matched across records (``target = "stream"``) whose fragment a kept row holds: it reads
  every record of its kinds in that file;
* a bundle's years moved onto its streams' span (:func:`multus_forensics.ingest.years.reanchor_bundle`
  counts every stamp).

Two more are kept exact by what the cut keeps: the year a stream's dated texts vote for reads
only date-shaped rows (kept), and a year checked against a file header or ``--year`` reads the
stream's first rows (the first :data:`HEAD_LINES` lines are kept whole, and the cut says
``whole`` if they held fewer events than that check reads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.batch.compact import KeepSpec
    from multus_forensics.eventlog import EventLog
    from multus_forensics.formats.base import ParseContext, ParseOutput

#: lines at the start of a stream kept whole when its year is checked: the check reads the
#: stream's first ``content_years.STEP_ROWS`` events (65,536), which lie in these lines unless
#: multi-line or blank lines there exceed the margin (then :attr:`CutState.whole` says so)
HEAD_LINES: Final = 65_536 + 8_192


@dataclass(frozen=True)
class RowCut:
    """Which rows a diagnosis with ``spec``'s catalog reads (see the module docstring)."""

    spec: KeepSpec

    @cached_property
    def mask(self) -> pl.Expr:
        """Rows to keep (over a chunk's columns with the file's constants)."""
        from multus_forensics.batch.compact import diagnosis_mask

        return diagnosis_mask(self.spec)

    @property
    def active(self) -> bool:
        """Whether any row can be dropped (a rule of every kind and no fragment reads all)."""
        return not self.spec.keeps_everything


@dataclass
class CutState:
    """What a cut parse dropped, and why a diagnosis needs the whole input (``whole``)."""

    #: rows dropped (their lines are still counted in the statistics)
    rows: int = 0
    #: why the dropped rows are needed after all (None: the cut is exact for a diagnosis)
    whole: str | None = None


def cut_chunk(
    frame: pl.DataFrame, cut: RowCut, consts: dict[str, object], head: bool
) -> tuple[pl.DataFrame, np.ndarray]:
    """(the rows of one scanned chunk a diagnosis reads, their strings copied; the line numbers
    of the others). ``consts`` are the file's constant columns, which the chunk does not hold;
    ``head``: the stream's year is checked against its first rows (keep every line up to
    :data:`HEAD_LINES`).

    The mask's first and last row per node, source and format are the chunk's: a superset of
    the stream's. The copy matters: a kept row's strings otherwise view the file's bytes (or the
    chunk's buffer) and keep all of it alive.
    """
    import numpy as np
    import polars as pl

    from multus_forensics.model import schema

    sch = schema()
    missing = [
        pl.lit(v, dtype=sch[k]).alias(k) for k, v in consts.items() if k not in frame.columns
    ]
    if "node" not in frame.columns and "node" not in consts:
        missing.append(pl.lit(None, dtype=pl.String).alias("node"))
    keep = (
        frame.lazy()
        .with_columns(missing)
        .select((cut.mask | (pl.col("line") <= HEAD_LINES)) if head else cut.mask)
        .collect()
        .to_series()
    )
    whole = bool(keep.all())  # (a chunk of the head kept whole is copied all the same)
    dropped = frame.get_column("line").filter(~keep).to_numpy() if not whole else None
    kept = frame if whole else frame.filter(keep)
    texts = [c for c, t in kept.schema.items() if t == pl.String]
    # a new string per value (concatenation allocates): the kept rows stop viewing the file,
    # whose bytes one view would keep alive whole
    copied = kept.with_columns((pl.col(c) + pl.lit("")).alias(c) for c in texts)
    return copied, np.zeros(0, dtype=np.int64) if dropped is None else dropped


class ChunkCuts:
    """One stream's chunks cut as a scan yields them (:func:`cut_chunk`), and what the parse's
    output then says: the rows dropped, and whether its first rows were kept (``head``)."""

    def __init__(self, cut: RowCut, consts: dict[str, object], head: bool) -> None:
        self.cut, self.consts, self.head = cut, consts, head
        self.dropped: list[np.ndarray] = []

    def take(self, frame: pl.DataFrame, host: str | None = None) -> pl.DataFrame:
        """The chunk's kept rows (``host``: the chunk's one node, a column it does not hold)."""
        consts = {**self.consts, "node": host} if host else self.consts
        kept, gone = cut_chunk(frame, self.cut, consts, self.head)
        self.dropped.append(gone)
        return kept

    def finish(self, out: ParseOutput, retaken: np.ndarray | None = None) -> ParseOutput:
        """``out`` with the rows dropped counted; ``retaken``: line numbers the careful path
        parsed after all (a dropped one is its event now, not a dropped row)."""
        import numpy as np

        gone = np.concatenate(self.dropped) if self.dropped else np.zeros(0, dtype=np.int64)
        rows = len(gone)
        if retaken is not None and len(retaken) and rows:
            rows -= int(np.isin(retaken, gone).sum())
        if rows:
            out.cut_rows = rows
            out.cut_whole = head_kept(out.events) if self.head else None
        return out


def chunk_cuts(
    ctx: ParseContext, consts: dict[str, object], chunked: bool, year_source: str | None
) -> ChunkCuts | None:
    """The cuts of a stream parsed in chunks with ``ctx`` whose stamps take their year from
    ``year_source`` (None: nothing to cut: no cut asked, one that keeps every row, or a stream
    of one chunk, which keeps its peak anyway)."""
    from multus_forensics.ingest.content_years import CHECKED

    cut = ctx.cut
    if cut is None or not cut.active or not chunked:
        return None
    # a year checked against the stream's first rows (a header, ``--year``): those kept whole
    return ChunkCuts(cut, consts, year_source in CHECKED)


#: why a cut input with interface adds is parsed again whole
ADDS_NEED_ROWS: Final = "the input has interface adds: their pods' rows give the add order"


def has_adds(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` holds an interface add (a row whose pod's rows the add order reads)."""
    import polars as pl

    from multus_forensics.timeline._records import ADD_KINDS, STATUS_KIND

    if not frame.height:
        return False
    return bool(frame.select(pl.col("kind").is_in([*ADD_KINDS, STATUS_KIND]).any()).item())


def whole_reason(log: EventLog, spec: KeepSpec) -> str | None:
    """Why a diagnosis of the cut ``log`` would differ from the whole input's (None: it would
    not), for the questions only the kept rows can answer: adds and stream rules."""
    from multus_forensics.batch.compact import _whole_stream

    frame = log.frame
    if has_adds(frame):
        return ADDS_NEED_ROWS
    if frame.height and _whole_stream(frame, spec):
        return "a rule matched across records may match: it reads whole files"
    return None


def head_kept(events: pl.DataFrame) -> str | None:
    """None when a cut stream's first rows, those a year check reads, are all in ``events``:
    every line up to :data:`HEAD_LINES` is kept, so they are when that many lines held enough
    events."""
    import polars as pl

    from multus_forensics.ingest.content_years import STEP_ROWS

    if events.height == 0:
        return None
    head = events.select((pl.col("line") <= HEAD_LINES).sum()).item()
    if head >= STEP_ROWS:
        return None
    return f"the first {HEAD_LINES} lines held {head} events, fewer than a year check reads"


def parse_for_diagnosis(
    paths: Sequence[str], spec: KeepSpec, parse: Callable[..., EventLog]
) -> EventLog:
    """``parse(cut=...)`` of ``paths`` (which diagnose next), again without the cut when the
    whole input is needed after all; ``-`` (standard input, read once) is parsed whole."""
    if "-" in paths:
        return parse()
    log: EventLog | None = parse(cut=RowCut(spec))
    assert log is not None
    if log.cut is not None and log.cut.whole is not None:
        log = None  # freed before the second parse
        return parse()
    return log
