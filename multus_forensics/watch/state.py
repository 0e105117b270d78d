"""Incremental state: the bounded window of events the classifier sees, and per-cause tallies.

The window keeps recent context (events within ``horizon`` seconds of the newest event time)
and the events of pods whose sandbox attempt is still open, capped at ``max_events`` (oldest
first out). Every event is classified at least once while it is in the window, or counted as a
repeat: an error whose template (ids and numbers masked) and pod were already classified is
folded into the counters of the causes it was found to support, without running the rules
again. Events leaving the window keep their contribution in the :class:`Tally` of each cause.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from multus_forensics.model import empty_frame

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify import Finding

#: kinds that open a sandbox attempt, and kinds that end one (success or failure)
OPENING: Final = frozenset({"kubelet:sandbox:start", "runtime:sandbox:start"})
CLOSING: Final = frozenset(
    {
        "kubelet:sandbox:created",
        "kubelet:sandbox:failed",
        "runtime:sandbox:ready",
        "runtime:sandbox:failed",
        "kubelet:pod:killing",
    }
)
#: pods with an open attempt remembered at most (oldest forgotten first)
MAX_OPEN_PODS: Final = 10_000
#: (template, pod) pairs remembered with the causes they support (oldest forgotten first)
MAX_KNOWN: Final = 100_000
#: text added after which a trimmed window is copied so that it owns its strings (see _compact)
COMPACT_BYTES: Final = 16 << 20
#: events without a time kept as recent context (they have no place on the horizon)
UNTIMED_CONTEXT: Final = 2_000

#: what differs between repeats of one error: uids, long hex ids, the generated parts of a
#: Deployment's pod names (``web-7c9d8b6f5-h2kxm``), numbers (one pass: a template is a key)
_VARIABLE: Final = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}|-[a-z0-9]{6,10}-[a-z0-9]{5}(?-u:\b)|[0-9]+"
)

Key = tuple[str, str | None]
#: an error waiting for the rules: (arrival number, template, pod, time)
Waiting = tuple[int, str, str | None, datetime | None]


def _failed() -> pl.Expr:
    import polars as pl

    return (
        pl.col("level").is_in(["error", "fatal"])
        | pl.col("kind").str.ends_with("failed")
        | pl.col("kind").str.contains("Failed", literal=True)
    )


def _has_error() -> pl.Expr:
    import polars as pl

    return (pl.col("error").is_not_null() & (pl.col("error") != "")) | _failed()


def _pod() -> pl.Expr:
    import polars as pl

    return (
        pl.when(pl.col("pod").is_null())
        .then(None)
        .when(pl.col("namespace").is_not_null())
        .then(pl.concat_str([pl.col("namespace"), pl.lit("/"), pl.col("pod")]))
        .otherwise(pl.col("pod"))
    )


def keyed(frame: pl.DataFrame, first_seq: int, keep_last: int | None = None) -> pl.DataFrame:
    """``frame`` with ``_seq`` (arrival order), ``_sig`` (error template) and ``_pod`` columns.

    The error text is the one the classifier treats as an error (the error column, else the
    message of error-level or failed-kind events); ids, uids, numbers and the generated parts of
    pod names are masked so that repeats of one error share a template. With ``keep_last``,
    only the last rows and the errors are kept (a flood: the rest would be trimmed at once).
    """
    import polars as pl

    seq = pl.int_range(first_seq, first_seq + frame.height, dtype=pl.Int64).alias("_seq")
    frame = frame.with_columns(seq)
    if keep_last is not None and frame.height > keep_last:
        cut = first_seq + frame.height - keep_last
        frame = frame.filter((pl.col("_seq") >= cut) | _has_error())
    text = (
        pl.when(pl.col("error").is_not_null() & (pl.col("error") != ""))
        .then(pl.col("error"))
        .when(_failed())
        .then(pl.when(pl.col("message") != "").then(pl.col("message")).otherwise(pl.col("raw")))
        .otherwise(None)
    )
    return frame.with_columns(
        text.str.replace_all(_VARIABLE, "0").alias("_sig"),
        _pod().alias("_pod"),
        pl.lit(False).alias("_pending"),
        pl.lit(False).alias("_rep"),
    )


@dataclass
class Tally:
    """What is known of one root cause over the whole run (the window only holds recent events)."""

    root_cause: str
    finding: Finding
    count: int = 0
    pods: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    #: arrival numbers of the events already counted (only those still in the window matter)
    counted: set[int] = field(default_factory=set)
    reported: bool = False
    reported_pods: set[str] = field(default_factory=set)

    def see(self, seq: int, when: datetime | None) -> None:
        if seq in self.counted:
            return
        self.counted.add(seq)
        self.count += 1
        if when is not None:
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)

    def current(self) -> Finding:
        """The latest finding with the run's counts, pods and time span."""
        from dataclasses import replace

        return replace(
            self.finding,
            count=self.count,
            pods=tuple(sorted(self.pods)),
            first_seen=self.first_seen,
            last_seen=self.last_seen,
        )


class Window:
    """The events the classifier sees next (see the module docstring)."""

    def __init__(self, horizon: float, max_events: int) -> None:
        self.horizon = timedelta(seconds=horizon)
        self.max_events = max_events
        self.frame = keyed(empty_frame(), 0)
        self._parts: list[pl.DataFrame] = []
        self.next_seq = 0
        self.newest: datetime | None = None
        self.open_pods: OrderedDict[str, None] = OrderedDict()
        #: error template -> causes it supported (on any pod); (template, pod) -> causes
        self.known: OrderedDict[str, frozenset[str]] = OrderedDict()
        self.known_pairs: OrderedDict[Key, frozenset[str]] = OrderedDict()
        self.classified_upto = 0  # events before this arrival number were classified
        self.pending = 0  # errors waiting for the rules (kept in the window until then)
        self.reps = 0  # ... of which the representatives the next classification reads
        self.held: list[Waiting] = []  # the others, resolved by what the representatives teach
        self._rep_sigs: set[str] = set()
        self._rep_pods: set[str | None] = set()
        self._uncompacted = 0  # bytes of text added since the window last owned its strings
        self.unclassified = 0  # events added since the last classification

    def add(self, frame: pl.DataFrame, tallies: dict[str, Tally]) -> None:
        """Append a parsed batch; repeats of known errors are counted at once."""
        import polars as pl

        newest = frame["time"].max()
        if isinstance(newest, datetime) and (self.newest is None or newest > self.newest):
            self.newest = newest
        self._track_attempts(frame)
        self._uncompacted += int(frame["raw"].str.len_bytes().sum())
        height = frame.height
        frame = keyed(frame, self.next_seq, self.max_events)
        self.next_seq += height
        errors = frame.filter(pl.col("_sig").is_not_null()).select("_seq", "_sig", "_pod", "time")
        waiting: list[Waiting] = []
        for seq, sig, pod, when in errors.iter_rows():
            causes = self._fold_causes(sig, pod, tallies)
            if causes is None:
                waiting.append((seq, sig, pod, when))
                continue
            for cause in causes:
                tallies[cause].see(seq, when)
        if waiting:
            frame = self._wait(frame, waiting)
        if height > self.max_events:  # a flood: older rows would be trimmed at once
            cut = self.next_seq - self.max_events
            frame = frame.filter(pl.col("_pending") | (pl.col("_seq") >= cut))
        self._parts.append(frame)
        self.unclassified += height

    def _wait(self, frame: pl.DataFrame, waiting: list[Waiting]) -> pl.DataFrame:
        """Mark errors the rules must see: one representative per new template and per pod
        (``_rep``, classified next); the others wait for what it teaches (``_pending``)."""
        import polars as pl

        reps: list[int] = []
        for seq, sig, pod, when in waiting:
            if sig in self._rep_sigs and pod in self._rep_pods:
                self.held.append((seq, sig, pod, when))
            else:
                self._rep_sigs.add(sig)
                self._rep_pods.add(pod)
                reps.append(seq)
        self.pending += len(waiting)
        self.reps += len(reps)
        seqs = [w[0] for w in waiting]
        return frame.with_columns(
            (pl.col("_pending") | pl.col("_seq").is_in(seqs)).alias("_pending"),
            (pl.col("_rep") | pl.col("_seq").is_in(reps)).alias("_rep"),
        )

    def _fold_causes(
        self, sig: str, pod: str | None, tallies: dict[str, Tally]
    ) -> frozenset[str] | None:
        """The causes a repeat supports, or None when the rules must see it.

        Known on this pod: its causes. Known on other pods: their causes, if each already
        counts this pod (a pod new to a cause is a change to report, so it is classified).
        """
        causes = self.known_pairs.get((sig, pod))
        if causes is not None:
            return causes
        causes = self.known.get(sig)
        if causes is None:
            return None
        if any(c not in tallies for c in causes):
            return None
        if pod is not None and any(pod not in tallies[c].pods for c in causes):
            return None
        return causes

    def _track_attempts(self, frame: pl.DataFrame) -> None:
        import polars as pl

        marks = frame.filter(
            pl.col("pod").is_not_null() & pl.col("kind").is_in(list(OPENING | CLOSING))
        )
        for pod, kind in marks.select(_pod(), "kind").iter_rows():
            self.open_pods.pop(pod, None)
            if kind in OPENING:
                self.open_pods[pod] = None
        while len(self.open_pods) > MAX_OPEN_PODS:
            self.open_pods.popitem(last=False)

    def collect(self) -> pl.DataFrame:
        """The whole window as one frame (batches added since the last call appended)."""
        import polars as pl

        if self._parts:
            self.frame = pl.concat([self.frame, *self._parts], how="vertical")
            self._parts = []
        return self.frame

    def focus(self, limit: int) -> pl.DataFrame:
        """What the next classification reads: the window's events of the pods that got new
        events (and events naming no pod), the newest ``limit``, plus the representatives."""
        import polars as pl

        frame = self.collect()
        fresh = frame.filter(pl.col("_seq") >= self.classified_upto)
        pods = fresh["_pod"].drop_nulls().unique().to_list()
        chosen = frame.filter(
            pl.col("_rep") | pl.col("_pod").is_null() | pl.col("_pod").is_in(pods)
        )
        if chosen.height > limit:
            cut = chosen["_seq"][chosen.height - limit]  # rows are in arrival order
            chosen = chosen.filter(pl.col("_rep") | (pl.col("_seq") >= cut))
        return chosen

    def learn(
        self, focus: pl.DataFrame, learned: dict[Key, set[str]], tallies: dict[str, Tally]
    ) -> None:
        """After classifying ``focus``: what each representative's template on its pod
        supports; the errors that waited are counted with it, or become representatives."""
        import polars as pl

        for sig, pod in focus.filter(pl.col("_rep")).select("_sig", "_pod").unique().iter_rows():
            self.known_pairs[(sig, pod)] = frozenset(learned.get((sig, pod), ()))
        for (sig, pod), fed in learned.items():
            self.known_pairs[(sig, pod)] = self.known_pairs.get((sig, pod), frozenset()) | fed
            self.known[sig] = self.known.get(sig, frozenset()) | fed
            self.known.move_to_end(sig)
        while len(self.known) > MAX_KNOWN:
            self.known.popitem(last=False)
        while len(self.known_pairs) > MAX_KNOWN:
            self.known_pairs.popitem(last=False)
        held, self.held = self.held, []
        self._rep_sigs, self._rep_pods = set(), set()
        self.pending = self.reps = 0
        frame = self.collect().with_columns(
            pl.lit(False).alias("_pending"), pl.lit(False).alias("_rep")
        )
        waiting: list[Waiting] = []
        for seq, sig, pod, when in held:
            causes = self._fold_causes(sig, pod, tallies)
            if causes is None:
                waiting.append((seq, sig, pod, when))
                continue
            for cause in causes:
                tallies[cause].see(seq, when)
        self.frame = self._wait(frame, waiting) if waiting else frame
        self.unclassified = self.reps
        self.classified_upto = self.next_seq

    def trim(self) -> None:
        """Drop what is neither recent, nor in an open attempt, nor waiting to be classified."""
        import polars as pl

        frame = self.collect()
        if frame.height == 0:
            return
        recent = pl.col("time").is_null() & (pl.col("_seq") >= self.next_seq - UNTIMED_CONTEXT)
        if self.newest is not None:
            recent = recent | (pl.col("time") >= self.newest - self.horizon)
        keep = pl.col("_pending") | recent
        if self.open_pods:
            keep = keep | pl.col("_pod").is_in(list(self.open_pods))
        before = frame.height
        frame = frame.filter(keep)
        if frame.height > self.max_events:
            room = max(self.max_events - self.pending, 0)
            others = frame.filter(~pl.col("_pending"))
            cut = others["_seq"][-room] if room else None  # rows are in arrival order
            keep = pl.col("_pending")
            if cut is not None:
                keep = keep | (pl.col("_seq") >= cut)
            frame = frame.filter(keep)
        if frame.height < before and self._uncompacted >= COMPACT_BYTES:
            frame = _compact(frame)
            self._uncompacted = 0
        self.frame = frame

    def relabel(self, label: str, generation: int) -> None:
        """Events of a file that was since rotated or truncated name its previous content."""
        import polars as pl

        frame = self.collect()
        self.frame = frame.with_columns(
            pl.when(pl.col("file") == label)
            .then(pl.lit(f"{label} (previous file {generation + 1})"))
            .otherwise(pl.col("file"))
            .alias("file")
        )


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy that owns its strings: filtered string views keep every buffer they point into
    (a whole parsed batch) alive, so a window sampled from many batches would grow."""
    import polars as pl

    out = pl.from_arrow(frame.to_arrow())
    assert isinstance(out, pl.DataFrame)
    return out


def rows_by_place(
    frame: pl.DataFrame,
) -> dict[tuple[str, int], tuple[int, str | None, str | None]]:
    """``(file, line) -> (seq, template, pod)``: evidence back to the rows classified."""
    return {
        (file, line): (seq, sig, pod)
        for file, line, seq, sig, pod in frame.select(
            "file", "line", "_seq", "_sig", "_pod"
        ).iter_rows()
    }
