"""What rules see: each event's text (with hard wraps undone), its unwrapped error, and the
context of the whole input (pods, attempts, interface add order from the timeline) that
predicates inspect.

The error chain comes from :func:`multus_forensics.chain.unwrap_error` when that module is
present; the small fallback below only recovers the facts rules need (operation, network,
interface, pod), so the classifier keeps working on whatever the chain module cannot peel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, overload

import regex

from multus_forensics.chain import shaped_facts, unwrap_error
from multus_forensics.classify.normalise import (
    Normalised,
    Skeleton,
    casefold_variants,
    holds_in_order,
    may_note,
    normalise,
    skeleton,
)
from multus_forensics.lazyre import lazy_regex
from multus_forensics.model import Event, LazyFields

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.addorder import AddOrder
    from multus_forensics.classify.catalog import Rule
    from multus_forensics.timeline import Timelines

T = TypeVar("T")

#: record continuation glue: newline plus indentation or TUI borders of a wrapped paste
_WRAP: Final = lazy_regex(r"[ \t]*[│|]?[ \t]*\n[ \t]*[│|]?[ \t]*")
_ADD: Final = lazy_regex(
    r"failed \(add\)|setup network|set ?up (?:sandbox|pod)|CreatePodSandbox|RunPodSandbox|CmdAdd|"
    r"[Dd]elegate ?[Aa]dd|error adding (?:container|pod)|Err adding|CNI_COMMAND=ADD|add command",
)
_DEL: Final = lazy_regex(
    r"failed \(delete\)|destroy network|teardown|tear down|StopPodSandbox|KillPodSandbox|"
    r"FailedKillPod|CmdDel|CmdCheck \(shim\)|[Dd]elegate ?[Dd]el|conflistDel|CNI_COMMAND=DEL|"
    r"CNI DEL|on del\b|Delete old config",
)
_NETWORK: Final = lazy_regex(
    r"(?:error adding container to network|Err adding pod to network|"
    r'error invoking \w+ - |Delegate add - )\s*"(?P<net>[^"]{1,253})"'
)
_PREFIX: Final = lazy_regex(
    r"\[(?P<ns>[a-z0-9.-]{0,253})/(?P<pod>[a-z0-9.-]{1,253})(?:/(?P<uid>[0-9a-f-]{36}))?"
    r"(?::(?P<net>[^\]\s]{1,253}))?\]"
)
_IFNAME: Final = lazy_regex(
    r'interface name (?:to )?"?(?P<if>[\w.@-]{1,15})"?|ifname (?:to )?"?(?P<if2>[\w.@-]{1,15})'
)
_PLUGIN_TYPE: Final = lazy_regex(r'plugin type="(?P<t>[^"]{1,64})"(?: name="(?P<n>[^"]{1,253})")?')


def unwrap(text: str) -> Any:
    """``multus_forensics.chain.unwrap_error(text)``, or ``None`` when the chain fails on it."""
    try:
        return unwrap_error(text)
    except Exception:  # a chain bug must not hide the error from the rules
        return None


def unwrapped_text(text: str) -> str:
    """Undo hard wraps and TUI borders of pasted records (``unexpe\\ncted`` → ``unexpected``)."""
    return _WRAP.sub("", text) if "\n" in text else text


def _op(text: str) -> str | None:
    """``add`` or ``del`` by the outermost operation marker (first in the text)."""
    a, d = _ADD.search(text), _DEL.search(text)
    if a and (not d or a.start() <= d.start()):
        return "add"
    return "del" if d else None


@lru_cache(maxsize=2048)
def _made(text: str) -> tuple[Normalised, tuple[str, ...]]:
    """A text's normalised form and its variants after itself (unwrapped, normalised, in
    upstream's case), made once per distinct text: a journal's rows of one rule share their
    message ("Error syncing pod, skipping"), whose variants were made again for every row."""
    fixed = normalise(text)
    return fixed, (unwrapped_text(text), fixed.text, *casefold_variants(fixed.text))


class Texts:
    """An event's texts in matching order, each made when a reader first reaches it.

    The order and the distinctness test are those of a list built whole: a text joins when it is
    not already held by an earlier one, so stopping early never changes what comes first.
    """

    __slots__ = (
        "_fields",
        "_fixed",
        "_gen",
        "_held",
        "_held_for",
        "_notes",
        "_out",
        "_skeletons",
        "started",
    )

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields
        self._out: list[str] = []
        self._fixed: dict[int, Normalised] = {}
        self._gen: Iterator[str] | None = None
        self._skeletons: dict[int, bytes | None] | None = None
        self._notes: tuple[str, ...] | None = None
        #: :meth:`may_hold`'s answer for the skeletons ``_held_for``, found for many events at
        #: once (:meth:`prime_hold`)
        self._held_for: Sequence[Skeleton] | None = None
        self._held = True
        #: whether a reader has asked for any text (the notes are owed from then on)
        self.started = False

    def _fixed_at(self, i: int) -> Normalised:
        found = self._fixed.get(i)
        if found is None:
            found = self._fixed[i] = _made(self._fields[i])[0]
        return found

    def _variants(self, i: int, text: str) -> Iterator[str]:
        yield text
        made = _made(text)
        self._fixed.setdefault(i, made[0])
        yield from made[1]

    def _generate(self) -> Iterator[str]:
        out = self._out
        for i, text in enumerate(self._fields):
            if not text:
                continue
            for v in self._variants(i, text):
                if v and v not in out and not any(v in o for o in out):
                    out.append(v)
                    yield v

    def __iter__(self) -> Iterator[str]:
        self.started = True
        if self._gen is None:
            self._gen = self._generate()
        i = 0
        while True:
            if i < len(self._out):
                yield self._out[i]
                i += 1
            elif next(self._gen, None) is None:
                return

    def first(self) -> str | None:
        """The first text (the first non-empty field as it is, made without the variants)."""
        self.started = True
        out = self._out
        if not out:
            first = next((t for t in self._fields if t), None)
            if first is None:
                return None
            out.append(first)
        return out[0]

    def after_first(self) -> Iterator[str]:
        """The texts after :meth:`first`, in order (made as a reader reaches them)."""
        texts = iter(self)
        next(texts, None)
        yield from texts

    def may_hold(self, skeletons: Sequence[Skeleton] | None) -> bool:
        """Whether some text could hold a match of one of these pattern skeletons (see
        :func:`~multus_forensics.classify.normalise.skeleton`); false only when none can, so a
        rule spares making and searching the variants. Counts as reading the texts (notes)."""
        self.started = True
        if skeletons is None:
            return True
        if self.primed(skeletons):
            return self._held
        made = self._skeletons
        if made is None:
            made = self._skeletons = {}
        for i, text in enumerate(self._fields):
            if not text:
                continue
            skel = made[i] if i in made else made.setdefault(i, skeleton(text))
            if skel is None or any(holds_in_order(skel, s) for s in skeletons):
                return True
        return False

    def primed(self, skeletons: Sequence[Skeleton]) -> bool:
        """Whether :meth:`may_hold` of ``skeletons`` is known without testing the texts."""
        return self._held_for is not None and (
            self._held_for is skeletons or self._held_for == skeletons
        )

    def prime_hold(self, skeletons: Sequence[Skeleton], held: bool) -> None:
        """Keep ``held`` as :meth:`may_hold` of ``skeletons`` (answered for many events in one
        vectorised pass); the texts do not count as read until a reader asks."""
        self._held_for, self._held = skeletons, held

    def may_note(self, missing: frozenset[str]) -> bool:
        """Whether :meth:`notes` could hold one of ``missing`` (false only when not)."""
        found = self._notes
        if found is not None:
            return any(n in missing for n in found)
        return any(may_note(t, missing) for t in self._fields if t)

    def notes(self) -> tuple[str, ...]:
        """What normalising the error, message and raw record repaired, in that order."""
        if (
            self._notes is None
        ):  # (asked once per hit: an event hit by several rules is asked again)
            notes: list[str] = []
            for i, text in enumerate(self._fields):
                if text:
                    notes.extend(n for n in self._fixed_at(i).notes if n not in notes)
            self._notes = tuple(notes)
        return self._notes


class _once(Generic[T]):
    """``functools.cached_property`` without its lock (Python 3.11 takes one per first read):
    an :class:`EventView` computes a few of these for each of tens of thousands of events,
    always on one thread."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, cls: type[Any]) -> _once[T]: ...
    @overload
    def __get__(self, obj: object, cls: type[Any]) -> T: ...
    def __get__(self, obj: object | None, cls: type[Any]) -> T | _once[T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass
class EventView:
    """One event as rules see it: texts to match, the chain, and identities recovered from it."""

    index: int
    event: Event

    @_once
    def error_text(self) -> str:
        """The error the event carries (error column, else the message of error-level events)."""
        e = self.event
        if e.error:
            return e.error
        if e.level in ("error", "fatal") or e.kind.endswith("failed") or "Failed" in e.kind:
            return e.message or e.raw
        return ""

    @_once
    def texts(self) -> Texts:
        """Distinct texts to try: error, message and raw record, each also as normalised
        (:mod:`multus_forensics.classify.normalise`) and in upstream's case when it was changed.
        Made as a reader reaches them: most matches are in the first (the error as logged)."""
        e = self.event
        return Texts((e.error or "", e.message, e.raw))

    @property
    def normalised(self) -> tuple[str, ...]:
        """What normalisation repaired in this event's texts, once they have been read."""
        texts = self.__dict__.get("texts")
        return texts.notes() if texts is not None and texts.started else ()

    def may_note(self, missing: frozenset[str]) -> bool:
        """Whether :attr:`normalised` could hold one of ``missing`` (false only when not)."""
        texts = self.__dict__.get("texts")
        return texts is not None and texts.started and texts.may_note(missing)

    @_once
    def chain(self) -> Any:
        return unwrap(self.error_text) if self.error_text else None

    @_once
    def facts(self) -> Any:
        """What answers the chain's ``get``/``innermost``/``op``/``leaf``: the facts of its
        shape when the analysis peeled it (``chain.prime_shapes``), else the chain itself."""
        text = self.error_text
        if not text or "chain" in self.__dict__:
            return self.chain
        shaped = shaped_facts(text)
        return shaped if shaped is not None else self.chain

    def _chain_field(self, key: str) -> str | None:
        ch = self.facts
        if ch is None:
            return None
        for name in ("innermost", "get"):
            fn = getattr(ch, name, None)
            if callable(fn):
                try:
                    value = fn(key)
                except Exception:
                    value = None
                if isinstance(value, str) and value:
                    return value
        return None

    @_once
    def leaf(self) -> str:
        """The innermost error (the chain's leaf, else the text after the last known prefix)."""
        leaf = getattr(self.facts, "leaf", None)
        if isinstance(leaf, str) and leaf:
            return leaf
        leaf_text = getattr(leaf, "text", None)
        if isinstance(leaf_text, str) and leaf_text:
            return leaf_text
        text = unwrapped_text(self.error_text)
        last = None
        for m in _NETWORK.finditer(text):
            last = m
        return text[last.end() :].lstrip(": ") if last else text

    def from_layer(self, kind: str) -> str | None:
        """The error from the outermost chain layer of ``kind`` inward; None without one."""
        layers = getattr(self.chain, "layers", None) or ()
        for i, layer in enumerate(layers):
            if getattr(layer, "kind", None) == kind:
                return "".join(str(getattr(x, "text", "")) for x in layers[i:])
        return None

    @_once
    def op(self) -> str | None:
        op = getattr(self.facts, "op", None)
        if isinstance(op, str) and op:
            return "del" if op.lower().startswith(("del", "check", "kill", "stop")) else "add"
        return _op(" ".join(self.texts))

    @_once
    def network(self) -> str | None:
        net = self._chain_field("network")
        if net:
            return net
        nets = [m.group("net") for m in _NETWORK.finditer(unwrapped_text(self.error_text))]
        return nets[-1] if nets else self.event.network

    @_once
    def interface(self) -> str | None:
        found = self._chain_field("interface")
        if found:
            return found
        m = _IFNAME.search(unwrapped_text(self.error_text))
        if m:
            return m.group("if") or m.group("if2")
        return self.event.interface

    @_once
    def plugin_types(self) -> tuple[str, ...]:
        """Plugin types named by libcni wrappers, outer first (``multus``, ``calico``...)."""
        return tuple(m.group("t") for m in _PLUGIN_TYPE.finditer(unwrapped_text(self.error_text)))

    @_once
    def pod(self) -> str | None:
        """``ns/name`` of the pod as far as the event or its error names it."""
        e = self.event
        if e.pod:
            return f"{e.namespace}/{e.pod}" if e.namespace else e.pod
        ns, name = self._chain_field("namespace"), self._chain_field("pod")
        if name:
            return f"{ns}/{name}" if ns else name
        m = _PREFIX.search(unwrapped_text(self.error_text))
        if m:
            return f"{m.group('ns')}/{m.group('pod')}" if m.group("ns") else m.group("pod")
        return None


#: rows turned into views per gather: the gathered copy of the frame stays this small
_VIEW_BATCH: Final = 16384
#: columns whose text is the row's own (rarely repeated): not looked up in the shared strings
_OWN_TEXT: Final = frozenset({"message", "error", "raw"})

#: columns of :attr:`Context.texty`: the texts, and what rule, error and stream selections read
TEXTY_COLUMNS: Final = ("error", "message", "raw", "kind", "level", "file", "member")

#: joins a row's fragments into the key of its fragment set (no catalog fragment holds it)
_SET_SEP: Final = "\x1f"


class Context:
    """All events of one diagnosis in input order (file, member, line), kept as a frame.

    Rules and predicates ask for the rows that can matter (by vectorised selections over the
    frame); only those become :class:`EventView` objects, created once and shared. ``size`` is
    the number of events in the input, whatever was selected.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        needles: frozenset[str] | None = None,
        timelines: Timelines | None = None,
    ) -> None:
        self.frame = frame
        #: the timeline a caller built from the same frame (``_row`` maps its row numbers)
        self.timelines = timelines
        self.size = frame.height
        self.cache: dict[str, Any] = {}
        #: (rule id, errors only) -> candidate positions answered by :meth:`prime_small`
        self._primed: dict[tuple[str, bool], list[int]] = {}
        self._views: dict[int, EventView] = {}
        #: one object per distinct identity string or time of the views (see :meth:`_values`)
        self._shared: dict[object, Any] = {}
        #: every fragment a selection by text may ask for (the catalog's): rows holding none of
        #: them are set aside once, so each rule's own pass reads only the rest
        self.needles = needles
        #: rule id -> the pre-filtered positions holding one of its fragments (see :meth:`prime`)
        self._marked_rules: dict[str, list[int]] = {}
        #: whether :meth:`prime` reads both fragment lists in one pass (None: when it can)
        self._one_pass: bool | None = None
        #: after a one-pass :meth:`prime`: each pre-filtered row's fragments as its key (``_pos``,
        #: ``k``), and the fragments that pass sought, lowercased (see :meth:`holding`)
        self._fragments: tuple[pl.DataFrame, frozenset[str]] | None = None

    @classmethod
    def of(cls, events: Sequence[Event]) -> Context:
        from multus_forensics.model import events_to_frame

        return cls.of_frame(events_to_frame(events))

    @classmethod
    def of_frame(
        cls,
        frame: pl.DataFrame,
        needles: frozenset[str] | None = None,
        timelines: Timelines | None = None,
    ) -> Context:
        """Context of an event frame (schema columns), ordered as the evidence is read."""
        import polars as pl

        from multus_forensics.model import COLUMNS

        rows = frame.select(COLUMNS).with_row_index("_row")
        order = (
            rows.select("_row", "file", pl.col("member").fill_null(""), "line")
            .sort(["file", "member", "line"], maintain_order=True)
            .get_column("_row")
        )
        # a single file's events are already in order: keep the frame rather than copy it
        if not order.equals(rows.get_column("_row")):
            rows = rows[order]
        return cls(rows, needles, timelines)

    @property
    def materialised(self) -> Iterable[int]:
        """Positions whose views exist (the rows some rule or predicate has read)."""
        return self._views.keys()

    def view(self, index: int) -> EventView:
        return self.views_at([index])[0]

    def views_at(self, positions: Iterable[int]) -> list[EventView]:
        """Views of the rows at ``positions`` (in that order), materialised once."""
        import polars as pl

        from multus_forensics.model import COLUMNS

        wanted = list(positions)
        missing = sorted({i for i in wanted if i not in self._views})
        fields = self.frame.get_column("fields") if missing else None
        names = [c for c in COLUMNS if c != "fields"]
        for start in range(0, len(missing), _VIEW_BATCH):
            part = missing[start : start + _VIEW_BATCH]
            sub = self.frame.select(names)[pl.Series(part, dtype=pl.Int64)]
            values = {c: self._values(sub.get_column(c)) for c in names}
            values["fields"] = [LazyFields(None, fields, i) for i in part]
            for i, row in zip(part, zip(*(values[c] for c in COLUMNS), strict=True), strict=True):
                self._views[i] = EventView(i, Event(*row))
        return [self._views[i] for i in wanted]

    def _values(self, column: pl.Series) -> list[Any]:
        """``column.to_list()``, a string or time that repeats (a file, kind, pod, UID, a
        second's stamp...) one object shared by every view holding it: thousands of views of
        one pod's adds held each its own copy. The texts of one row (message, error, raw) are
        left as they are."""
        import polars as pl

        if column.name in _OWN_TEXT or not (
            column.dtype == pl.String or column.dtype.is_temporal()
        ):
            return column.to_list()
        shared = self._shared
        n = column.len()
        if column.null_count() == n:  # a column no row of the batch fills (a log's node...)
            return [None] * n
        if column.n_unique() == 1:  # one value for the batch (its file, kind, level...)
            first = column[0]
            return [shared.setdefault(first, first)] * n
        return [shared.setdefault(v, v) if v is not None else None for v in column.to_list()]

    @cached_property
    def _texty(self) -> pl.DataFrame:
        """Rows holding one of :attr:`needles` (or an always-fragment), with their positions."""
        from multus_forensics.classify.select import SMALL_FRAME, small_text_mask, text_mask

        rows = self.frame.with_row_index("_pos")
        if self.needles is None:
            return rows
        # only the columns the selections read: on a Multus log most rows hold a fragment, and
        # a copy of every column of them outlived the whole diagnosis
        rows = rows.select("_pos", *TEXTY_COLUMNS)
        if rows.height <= SMALL_FRAME:
            return rows.filter(small_text_mask(rows, self.needles))
        return rows.filter(text_mask(self.needles))

    @cached_property
    def ends_raw(self) -> pl.Series:
        """Per row of :attr:`texty`, whether its message and error end its raw record (a Multus
        or runtime log's line): each fragment or skeleton order theirs hold, the raw record
        holds, so a test of all three texts reads that record alone."""
        import polars as pl

        error, message, raw = (pl.col(c).fill_null("") for c in ("error", "message", "raw"))
        inside = ((message == "") | raw.str.ends_with(message)) & (
            (error == "") | (error == message) | raw.str.ends_with(error)
        )
        return self._texty.select(inside.alias("ends_raw")).to_series()

    def _holding(self, needles: frozenset[str]) -> list[int]:
        """:meth:`positions` of ``text_mask(needles)`` (``needles`` among :attr:`needles`): the
        rows of :attr:`ends_raw` tested in their raw record alone."""
        import polars as pl

        from multus_forensics.classify.select import always, holds_any, text_mask

        held = self.holding(needles)
        if held is not None:  # (as the one fragment pass found them)
            return [int(i) for i in held.to_list()]
        texty, inside = self._texty, self.ends_raw
        raw = texty.select("_pos", "raw").filter(inside)
        found = [
            raw.filter(holds_any(pl.col("raw"), {*needles, *always()})).get_column("_pos"),
            texty.filter(~inside).filter(text_mask(needles)).get_column("_pos"),
        ]
        return sorted(int(i) for i in pl.concat(found).to_list())

    @property
    def texty(self) -> pl.DataFrame:
        """The rows holding a catalog fragment or an always-fragment (``_pos``: position), with
        :data:`TEXTY_COLUMNS` (a selection reading other columns reads :attr:`frame`)."""
        return self._texty

    def prime(self, rules: Sequence[Rule]) -> None:
        """Find the candidate rows of every rule at once (instead of one pass per rule).

        One Aho-Corasick pass lists the fragments each pre-filtered row holds; a join maps them
        to rule clauses (:func:`~multus_forensics.classify.select.rule_clauses`), and a row is a
        candidate of a rule when it holds a fragment of every factor of one of its clauses.
        Rows holding an always-fragment are candidates of every rule.
        """
        import polars as pl

        from multus_forensics.classify.select import (
            always,
            rule_clauses,
            rule_needles,
        )

        if self.needles is None:
            return
        # needle, exact case, rule, clause, factor
        entries: list[tuple[str, bool, str, int, int]] = []
        sizes: list[tuple[str, int, int]] = []
        eligible: list[str] = []
        for rule in rules:
            needles = rule_needles(rule)
            if needles is None or not needles <= self.needles:
                continue
            eligible.append(rule.id)
            for c, clause in enumerate(rule_clauses(rule)):
                sizes.append((rule.id, c, len(clause)))
                entries.extend(
                    (n, exact, rule.id, c, f)
                    for f, (alts, exact) in enumerate(clause)
                    for n in alts
                )
        if not eligible or any(_SET_SEP in e[0] for e in entries):
            return  # (a fragment holding the separator: each rule then selects its own rows)
        everyone = "\x00always"
        entries.extend((n, False, everyone, 0, 0) for n in always())
        sizes.append((everyone, 0, 1))
        table = pl.DataFrame(
            entries,
            schema={
                "found": pl.String,
                "exact": pl.Boolean,
                "rule": pl.String,
                "clause": pl.Int64,
                "factor": pl.Int64,
            },
            orient="row",
        )
        table = table.with_columns(
            pl.when(pl.col("exact"))
            .then(pl.col("found"))
            .otherwise(pl.col("found").str.to_lowercase())
        ).unique()
        need = pl.DataFrame(
            sizes, schema={"rule": pl.String, "clause": pl.Int64, "size": pl.UInt32}, orient="row"
        )
        # every fragment a selection may ask for is sought too (a predicate's markers, a stream
        # rule's): a fragment no clause names joins nothing below, and :meth:`holding` answers
        ci = sorted({*(e[0] for e in entries if not e[1]), *self.needles})
        cs = sorted({e[0] for e in entries if e[1]})
        # collected once: read by three queries below
        rows, keys, looked = self._held(ci, cs, self._one_pass)
        if keys == ["k"]:
            self._fragments = (rows.collect(), frozenset(n.lower() for n in (*ci, *cs)))

        def fragments(key: str, exact: bool) -> pl.LazyFrame:
            """(row shape, fragment as the table keys it) for one pass's fragments."""
            frag = pl.col(key).str.split(_SET_SEP).alias("found")
            shapes = rows.select(keys).unique().with_columns(frag).explode("found")
            value = pl.col("found") if exact else pl.col("found").str.to_lowercase()
            return shapes.select(*keys, value, pl.lit(exact).alias("exact"))

        # rows holding the same fragments answer the same clauses: the join runs once per
        # distinct row shape, not once per (row, fragment) pair (millions on a busy log)
        met = (
            pl.concat([fragments(key, exact) for key, exact in looked])
            .unique()
            .join(table.lazy(), on=["found", "exact"])
            .group_by(*keys, "rule", "clause")
            .agg(pl.col("factor").n_unique().alias("held"))
            .join(need.lazy(), on=["rule", "clause"])
            .filter(pl.col("held") == pl.col("size"))
            .select(*keys, "rule")
            .unique()
        )
        found = rows.join(met, on=keys).group_by("rule").agg(pl.col("_pos").unique()).collect()
        by_rule = dict(zip(found.get_column("rule"), found.get_column("_pos"), strict=True))
        shared = by_rule.get(everyone, pl.Series([], dtype=pl.UInt32)).to_list()
        marks: dict[str, list[int]] = {}
        for rid in eligible:
            own = by_rule.get(rid)
            marks[rid] = sorted({*shared, *(own.to_list() if own is not None else ())})
        self._marked_rules = marks

    def _held(
        self, ci: list[str], cs: list[str], one_pass: bool | None = None
    ) -> tuple[pl.LazyFrame, list[str], list[tuple[str, bool]]]:
        """Per pre-filtered row (``_pos``), the fragments it holds as matched, in text order,
        joined: rows of one shape give one string (a few dozen in a whole journal). Returns
        those rows, their key columns, and (key, exact) for each lookup of a key's fragments.

        One case-insensitive pass finds both lists when every fragment is ASCII or caseless:
        it yields the text as matched, so an exact fragment is one it equals, and a lowercased
        one is an ASCII-insensitive match of a fragment (as the case-insensitive pass alone
        would list it). A row whose message and error end its raw record (a Multus or
        runtime log's line) is read in its raw record only: every fragment of the others is
        one of it. ``one_pass`` forces the choice (tests compare both)."""
        import polars as pl

        def found(needles: list[str], exact: bool, texts: list[pl.Expr], key: str) -> pl.Expr:
            if not needles:
                return pl.lit("").alias(key)
            held = pl.concat_list(
                [
                    t.str.extract_many(needles, ascii_case_insensitive=not exact, overlapping=True)
                    for t in texts
                ]
            )
            return held.list.join(_SET_SEP).alias(key)

        texty = self._texty.lazy()
        error, message, raw = (pl.col(c).fill_null("") for c in ("error", "message", "raw"))
        every = [error, message, raw]
        if one_pass is None:
            one_pass = all(n.isascii() or n == n.lower() == n.upper() for n in (*ci, *cs))
        if not one_pass:
            rows = texty.select(
                "_pos", found(ci, False, every, "False"), found(cs, True, every, "True")
            )
            keys = ["False", "True"]
            return rows.collect().lazy(), keys, [("False", False), ("True", True)]
        both = sorted({*ci, *cs})
        inside = pl.lit(self.ends_raw)
        rows = pl.concat(
            [
                texty.filter(inside).select("_pos", found(both, False, [raw], "k")),
                texty.filter(~inside).select("_pos", found(both, False, every, "k")),
            ]
        )
        return rows.collect().lazy(), ["k"], [("k", False), ("k", True)]

    def marked_rows(self, rule: Rule) -> list[int] | None:
        """The positions :meth:`prime` found holding ``rule``'s fragments (``None``: not primed
        for it): a superset of its candidates, before its kinds and error tests."""
        return self._marked_rules.get(rule.id)

    def holding(self, needles: Iterable[str]) -> pl.Series | None:
        """Positions (ascending) of the rows holding one of ``needles`` or an always-fragment in
        a text column, ASCII case-insensitively (``select.text_mask``), read from the fragments
        :meth:`prime` found in each row: ``None`` when it did not seek them all in one pass.
        Rows of one fragment set share a key, so each distinct set is tested once."""
        import polars as pl

        from multus_forensics.classify.select import always

        if self._fragments is None:
            return None
        rows, sought = self._fragments
        wanted = {n.lower() for n in (*needles, *always())}
        if not wanted <= sought:
            return None
        keys = rows.get_column("k").unique().to_list()
        held = [k for k in keys if not wanted.isdisjoint(f.lower() for f in k.split(_SET_SEP))]
        found = rows.filter(pl.col("k").is_in(pl.Series(held, dtype=pl.String).implode()))
        return found.get_column("_pos").sort()

    def positions(self, mask: pl.Expr, needles: frozenset[str] | None = None) -> list[int]:
        """Row positions where ``mask`` holds, in input order. ``mask`` must imply one of
        ``needles`` when they are given: then only the rows holding them are read."""
        import polars as pl

        if (
            needles is not None
            and self.needles is not None
            and needles <= self.needles
            and set(mask.meta.root_names()) <= set(self._texty.columns)
        ):
            rows = self._texty.lazy()
        else:
            rows = self.frame.lazy().with_row_index("_pos")
        idx = rows.filter(mask).select("_pos").collect()
        return [int(i) for i in idx.get_column("_pos").cast(pl.Int64).to_list()]

    def select(self, key: str, mask: Callable[[], pl.Expr]) -> list[EventView]:
        """Views where ``mask()`` holds, memoised under ``key`` for the whole diagnosis."""
        found: list[EventView] = self.memo(
            f"select:{key}", lambda: self.views_at(self.positions(mask()))
        )
        return found

    def marked(self, pattern: regex.Pattern[str]) -> list[EventView]:
        """Views any of whose texts ``pattern`` matches (rows pre-selected by its literals)."""
        import polars as pl

        from multus_forensics.classify.select import pattern_needles, text_mask

        def compute() -> list[EventView]:
            needles = pattern_needles((pattern.pattern,))
            if needles is not None and self.needles is not None and needles <= self.needles:
                positions = self._holding(needles)
            else:
                mask = pl.lit(True) if needles is None else text_mask(needles)
                positions = self.positions(mask, needles)
            rows = self.views_at(positions)
            return [v for v in rows if any(pattern.search(t) for t in v.texts)]

        found: list[EventView] = self.memo(f"marked:{pattern.pattern}", compute)
        return found

    def candidates(
        self, rule: Rule, *, errors_only: bool = False, within: frozenset[int] | None = None
    ) -> list[EventView]:
        """Views that can match ``rule``: its kinds, and a literal its patterns require (and
        among positions ``within`` when given)."""
        import polars as pl

        from multus_forensics.classify.select import rule_kinds, rule_needles, text_mask

        def compute() -> list[EventView]:
            if (rule.id, errors_only) in self._primed:
                primed = self._primed[(rule.id, errors_only)]
                if within is not None:
                    primed = [i for i in primed if i in within]
                views = self.views_at(primed)
                return [v for v in views if v.error_text] if errors_only else views
            needles = rule_needles(rule)
            if rule.id in self._marked_rules:
                marked = pl.Series(self._marked_rules[rule.id], dtype=pl.UInt32)
                text: pl.Expr = pl.col("_pos").is_in(marked.implode())
            else:
                text = pl.lit(True) if needles is None else text_mask(needles)
            mask = rule_kinds(rule) & text
            if errors_only:
                mask = mask & error_rows()
            if within is not None:
                mask = mask & pl.col("_pos").is_in(
                    pl.Series(sorted(within), dtype=pl.UInt32).implode()
                )
            views = self.views_at(self.positions(mask, needles))
            return [v for v in views if v.error_text] if errors_only else views

        if within is not None:  # asked once per rule (by its hits); not worth a memo key
            return compute()
        found: list[EventView] = self.memo(f"candidates:{rule.id}:{errors_only}", compute)
        return found

    @property
    def views(self) -> list[EventView]:
        """Every event as a view: for small inputs and tests; rules use :meth:`select`."""
        return self.views_at(range(self.size))

    @property
    def errors(self) -> list[EventView]:
        """Views of the events that carry an error text (see :attr:`EventView.error_text`)."""
        found: list[EventView] = self.memo(
            "errors",
            lambda: [v for v in self.views_at(self.positions(error_rows())) if v.error_text],
        )
        return found

    @cached_property
    def order(self) -> AddOrder:
        """Add order per sandbox attempt, from the timeline of the pods that have adds (built on
        first use: only rules about interface collisions need it)."""
        from multus_forensics.classify.addorder import add_order

        return add_order(self, self.timelines)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per diagnosis: predicates ask the same question for every hit."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def prime_small(self, rules: Sequence[Rule]) -> bool:
        """On a frame of at most ``select.SMALL_FRAME`` rows, answer every rule's candidate
        question (:meth:`candidates`) at once in Python and return true; false otherwise (then
        :meth:`prime`). A polars query's fixed cost, paid per rule, was most of the time a
        5-line file took to diagnose (:func:`~multus_forensics.classify.select.small_frame`)."""
        from multus_forensics.classify.select import SMALL_FRAME, small_frame

        if self.size > SMALL_FRAME or self.needles is None:
            return False
        self._primed = small_frame(self.frame, self.needles, rules, error_rows())
        return True


def error_rows() -> pl.Expr:
    """Rows that may carry an error text: a superset of those whose view has ``error_text``."""
    import polars as pl

    flagged = (
        pl.col("level").is_in(["error", "fatal"])
        | pl.col("kind").str.ends_with("failed")
        | pl.col("kind").str.contains("Failed", literal=True)
    )
    text = (pl.col("message").fill_null("") != "") | (pl.col("raw").fill_null("") != "")
    return (pl.col("error").fill_null("") != "") | (flagged & text)
