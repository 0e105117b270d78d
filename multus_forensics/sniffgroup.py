"""Many small streams' formats decided at once, before the pipeline reads them one by one.

A folder of thousands of short logs costs, per file, more to recognise than to parse: paste
detection, the not-a-log checks and every format's sniff read each head line in Python. Here
streams are taken from the inputs a group at a time (at most :data:`GROUP_STREAMS` of them and
:data:`GROUP_BYTES`, or one larger stream); those in memory whose names only one format's globs
match (:func:`~multus_forensics.registry.sole_named`) are put to that format's
:meth:`~multus_forensics.formats.base.LogFormat.admit_many`, which decides for all of them in
one vectorised pass whether each is certainly that format, clean, undecorated and batchable.
Every other stream, and every one the test does not admit, is decided one by one as before;
streams and issues keep their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from multus_forensics import notlog
from multus_forensics.ingest.model import RawStream
from multus_forensics.registry import get_format, sole_named_many

if TYPE_CHECKING:
    from multus_forensics.formats.base import LogFormat
    from multus_forensics.ingest.archives import Item

#: streams and bytes held at most before a group is decided (a stream of more bytes than
#: that is a group alone); a group's run is one batch of small files in the pipeline
#: (``pipeline.SMALL_BATCH_BYTES``), read from the line table its admission made
GROUP_STREAMS: Final = 4096
GROUP_BYTES: Final = 8 << 20
#: streams of one format a group needs before they are decided together (fewer: one by one)
MIN_KNOWN: Final = 8
#: streams larger than this are decided one by one (their head is a small part of them)
MAX_KNOWN_BYTES: Final = 1 << 20


@dataclass(slots=True)
class Known:
    """Consecutive streams of a group that one format admitted (undecorated, detected and
    batchable): handed on together, so that what follows is done for the run, not per file."""

    fmt: LogFormat
    #: each stream's index among the top-level inputs (:func:`~.ingest.iter_inputs`)
    indexes: list[int]
    streams: list[RawStream]
    #: each stream's line count, as the admission counted it
    lines: list[int]
    #: what the admission built over its texts (:meth:`LogFormat.admit_table`), and the place
    #: of the run's first stream among them (the run's streams are the next texts in order)
    table: object | None = None
    first: int = 0


def grouped(
    items: Iterable[tuple[int, Item]], forced: str | None
) -> Iterator[tuple[int, Item, LogFormat | None, int]]:
    """``items`` in their order, each with the format it is known to be (undecorated, detected
    and batchable) and its line count, or None (and 0): decide it one by one. ``forced`` (a
    format given by the user) leaves every stream to the per-file path."""
    for entry in runs(items, forced):
        if isinstance(entry, Known):
            fmt = entry.fmt
            for index, item, n in zip(entry.indexes, entry.streams, entry.lines, strict=True):
                yield index, item, fmt, n
        else:
            index, other = entry
            yield index, other, None, 0


def runs(
    items: Iterable[tuple[int, Item]], forced: str | None
) -> Iterator[Known | tuple[int, Item]]:
    """:func:`grouped` as the pipeline takes it: each run of consecutive streams a format
    admitted as one :class:`Known`, every other item as it came."""
    if forced is not None:
        yield from items
        return
    held: list[tuple[int, Item]] = []
    size = 0
    for index, item in items:
        n = len(item.data) if isinstance(item, RawStream) else 0
        if held and size + n > GROUP_BYTES:  # the group is full before this one
            yield from _decided(held)
            held, size = [], 0
        held.append((index, item))
        size += n
        if len(held) >= GROUP_STREAMS or size >= GROUP_BYTES:  # a large one is not held on
            yield from _decided(held)
            held, size = [], 0
    yield from _decided(held)


def _decided(held: list[tuple[int, Item]]) -> Iterator[Known | tuple[int, Item]]:
    small: list[tuple[int, str, bytes]] = []
    for k, (_, item) in enumerate(held):
        if type(item) is not RawStream:
            continue
        data = item.data  # bytes in memory (a mapped file is large); ASCII, NUL, CR: admit_many
        if type(data) is not bytes or len(data) > MAX_KNOWN_BYTES:
            continue
        small.append((k, item.name or item.label, data))  # named as the pipeline names it
    if len(small) < MIN_KNOWN:  # too few to share a decision: each one by one
        small = []
    candidates: dict[str, list[tuple[int, bytes]]] = {}
    code: dict[str, bool] = {}  # notlog.by_name's verdict per name ending
    for (k, name, data), only in zip(small, sole_named_many([n for _, n, _ in small]), strict=True):
        if only is None:
            continue
        # the name's end from the character before its last dot decides by_name (the
        # base name's suffix, and whether that dot starts the base name): asked once per end
        dot = name.rfind(".")
        end = name[dot - 1 :] if dot > 0 else name
        named = code.get(end)
        if named is None:
            named = code[end] = notlog.by_name(name, ()) is not None
        if not named:
            candidates.setdefault(only, []).append((k, data))
    known: list[LogFormat | None] = [None] * len(held)
    lines = [0] * len(held)
    # each admitted stream's place among its format's texts, and what they were read into
    places = [0] * len(held)
    tables: dict[str, object | None] = {}
    for only, found in candidates.items():
        if len(found) < MIN_KNOWN:
            continue
        fmt = get_format(only)
        verdicts, tables[fmt.name] = fmt.admit_table([data for _, data in found])
        for place, ((k, _), counted) in enumerate(zip(found, verdicts, strict=True)):
            if counted is not None:
                known[k], lines[k], places[k] = fmt, counted, place
    run: Known | None = None
    for k, ((index, item), decided, n) in enumerate(zip(held, known, lines, strict=True)):
        if decided is None:
            if run is not None:
                yield run
                run = None
            yield index, item
            continue
        if run is not None and run.fmt is not decided:
            yield run
            run = None
        if run is None:  # its streams are consecutive texts of the admission: nothing between
            run = Known(decided, [], [], [], tables.get(decided.name), places[k])
        run.indexes.append(index)
        run.streams.append(item)  # type: ignore[arg-type]  # only streams are admitted
        run.lines.append(n)
    if run is not None:
        yield run
