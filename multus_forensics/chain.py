"""Unwrap a nested CNI error into ordered layers, outermost (kubelet) to innermost (leaf).

A sandbox failure reaches the user as one string built by up to eight wrappers (FORMATS.md §1):
kubelet, gRPC, the runtime, libcni, the multus shim/daemon, multus, multus function prefixes and
finally the plugin's own text. Each wrapper names something (sandbox ID, plugin type, network,
interface, operation, pod); the leaf is what classification keys on, but the layers say *whose*
leaf it is (the same ``Link not found`` under ``type="multus"`` and under ``type="calico"`` are
different failures). Peeling uses anchored patterns with bounded character classes only, so a
10 MB line cannot make them backtrack; the first unknown text stops peeling and is kept verbatim.

Kubelet repeats one failure at four call sites (RunPodSandbox, Failed to create sandbox,
CreatePodSandbox, Error syncing pod) with different wrappers and quoting levels;
:func:`failure_key` makes them compare equal.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from multus_forensics import _chain_rules as rules
from multus_forensics import _chain_shape
from multus_forensics.lazyre import lazy

if TYPE_CHECKING:
    import polars as pl

KINDS: Final = (
    "kubelet",
    "cri",
    "runtime",
    "libcni",
    "multus-shim",
    "multus-daemon",
    "multus",
    "multus-func",
    "plugin",
    "ipam",
    "leaf",
)

#: layers that wrap a failure produced further in; the rest are the failure's own words
_OUTER_KINDS: Final = frozenset({"kubelet", "cri"})
_LOCAL_KINDS: Final = frozenset({"multus-func", "plugin", "ipam", "leaf"})


@dataclass(frozen=True)
class Layer:
    """One peeled wrapper: its kind, its own prefix text (unquoted) and what it names.

    ``fields`` keys: sandbox_id, plugin_type, plugin_name, network, attachment, interface, op
    (``add``/``del``/``check``), namespace, pod, pod_uid, grpc_code, function, runtime, status,
    attempt, action, master, stdin_data (decoded thick-plugin config JSON).
    """

    kind: str
    text: str
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ErrorChain:
    """A whole error split into layers; the last layer is the ``leaf`` (the remainder, verbatim)."""

    text: str
    layers: tuple[Layer, ...]
    truncated: bool = False
    aggregate: tuple[ErrorChain, ...] = ()

    @property
    def leaf(self) -> str:
        return self.layers[-1].text if self.layers else ""

    def __repr__(self) -> str:
        from multus_forensics.display import chain_repr

        return chain_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see :mod:`multus_forensics.display`)."""
        from multus_forensics.display import chain_html

        return chain_html(self)

    @property
    def op(self) -> str | None:
        """``add``/``del``/``check`` as named by the outermost layer that says."""
        return self.get("op")

    def get(self, key: str) -> str | None:
        """Value of ``key`` from the first layer (outermost first) that names it."""
        for layer in self.layers:
            if key in layer.fields:
                return layer.fields[key]
        for member in self.aggregate:
            value = member.get(key)
            if value is not None:
                return value
        return None

    def innermost(self, key: str) -> str | None:
        """Value of ``key`` from the last layer that names it (the aggregate's first member first)."""
        for member in self.aggregate:
            value = member.innermost(key)
            if value is not None:
                return value
        for layer in reversed(self.layers):
            if key in layer.fields:
                return layer.fields[key]
        return None

    def find(self, kind: str) -> tuple[Layer, ...]:
        """Every layer of ``kind``, outermost first."""
        return tuple(layer for layer in self.layers if layer.kind == kind)

    @cached_property
    def core(self) -> str:
        """The failure without kubelet and gRPC wrappers: the same for all four kubelet sites."""
        inner = [layer.text for layer in self.layers if layer.kind not in _OUTER_KINDS]
        return "".join(inner)

    @cached_property
    def tail(self) -> str:
        """The failure's own words: the trailing run of multus-func/plugin/ipam layers + leaf."""
        start = len(self.layers)
        while start > 0 and self.layers[start - 1].kind in _LOCAL_KINDS:
            start -= 1
        return "".join(layer.text for layer in self.layers[start:])

    @cached_property
    def signature(self) -> str:
        """:attr:`tail` with IDs, IPs, MACs, paths and numbers masked, for dedup and clustering."""
        if self.aggregate:
            return " | ".join(m.signature for m in self.aggregate)
        return _masked(self.tail)


def failure_key(chain: ErrorChain) -> tuple[str | None, str]:
    """Key under which the kubelet's four reports (and the runtime's) of one failure are equal.

    Two chains whose sandbox and :attr:`ErrorChain.core` are equal are one failure. A chain cut
    by a pager or by the event length limit compares by its signature instead, since its tail
    is missing.
    """
    sandbox = chain.get("sandbox_id")
    if chain.truncated:
        return sandbox, "~" + _masked(chain.core)[:120]
    return sandbox, chain.core


def same_failure(a: ErrorChain, b: ErrorChain) -> bool:
    """Whether two reports are one failure (what the timeline deduplicates on).

    Same sandbox (or one of them unnamed) and: equal cores, or one core a suffix of the other
    (Multus' own ``[error]`` line vs the runtime's chain), or — under one named sandbox — the
    same signature (sources quoting the chain with different middle layers), or a report cut by
    a pager whose remaining core appears in the full one.
    """
    sa, ca = failure_key(a)
    sb, cb = failure_key(b)
    if sa is not None and sb is not None and sa != sb:
        return False
    if ca.endswith(cb) or cb.endswith(ca):
        return True
    if a.truncated != b.truncated:
        cut, full = (a, b) if a.truncated else (b, a)
        return bool(cut.core) and cut.core in full.core
    return sa is not None and sa == sb and a.signature == b.signature


# --- quoting --------------------------------------------------------------------------------

_ESCAPE = lazy(r"\\(?:[\\\"'abfnrtv]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3})")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(match: re.Match[str]) -> str:
    esc = match.group(0)[1:]
    if esc[0] in _SIMPLE:
        return _SIMPLE[esc[0]]
    if esc[0] in "xu":
        return chr(int(esc[1:], 16))
    if esc[0].isdigit():
        return chr(int(esc, 8))
    return esc


def unquote_levels(text: str, max_levels: int = 8) -> str:
    """Undo every level of Go/klog quoting: ``\\"`` then ``\\\\\\"``..., and an outer ``"…"``.

    Deeper levels only carry more backslashes, so decoding the whole string one level at a
    time turns every level into plain text. Stops when no escaped quote or backslash is left.
    """
    out = text.strip()
    if (
        len(out) >= 2
        and out[0] == '"'
        and out[-1] == '"'
        and out.count('"') == 2 + out.count('\\"')
    ):
        out = out[1:-1]
    for _ in range(max_levels):
        if '\\"' not in out and "\\\\" not in out:
            break
        out = _ESCAPE.sub(_unescape, out)
    return out


_BYTE_ARRAY = lazy(r"\[((?:\d{1,3} ){8,}\d{1,3})\]")


def decode_byte_array(text: str) -> str | None:
    """Decode the first Go ``[123 34 …]`` byte-slice dump (thick cmdArgs StdinData) to text."""
    match = _BYTE_ARRAY.search(text)
    if match is None:
        return None
    values = [int(v) for v in match.group(1).split()]
    if any(v > 255 for v in values):
        return None
    return bytes(values).decode("utf-8", errors="replace")


# --- masking --------------------------------------------------------------------------------

_MASKS: Final = (
    (lazy(r"\b[a-z][a-z0-9+.-]*://[^\s\"']+"), "<url>"),
    (lazy(r"(?<![\w.])/[\w.\-/@]+"), "<path>"),
    (lazy(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uid>"),
    (lazy(r"\b[0-9a-f]{12,64}\b"), "<id>"),
    (lazy(r"\b(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}\b"), "<mac>"),
    (lazy(r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b"), "<ip>"),
    (
        lazy(r"(?<![\w:])[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:/\d{1,3})?(?![\w:])"),
        "<ip>",
    ),
    (lazy(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (lazy(r"\b\d+\b"), "<n>"),
)


def mask(text: str) -> str:
    """``text`` with volatile tokens replaced by placeholders (``<id>``, ``<ip>``, ``<path>``…)."""
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text


@functools.lru_cache(maxsize=4096)
def _masked(text: str) -> str:
    """:func:`mask` once per text: thousands of chains of a node differ by the sandbox IDs of
    an outer layer and share their tail, so their signature."""
    return mask(text)


# --- peeling --------------------------------------------------------------------------------

Peel = Callable[[str], "tuple[Layer, str] | None"]


_NAMED_GROUP = lazy(r"\(\?P<(\w+)>")


def _first_chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Characters a match of the parsed sequence can start with; ``None`` when not known."""
    from re import _constants as c  # type: ignore[attr-defined]

    if not items:
        return None
    op, av = items[0]
    if op is c.LITERAL:
        return frozenset(chr(av))
    if op is c.IN:
        out: set[str] = set()
        for item, value in av:
            if item is c.LITERAL:
                out.add(chr(value))
            elif item is c.RANGE and value[1] - value[0] < 128:
                out.update(chr(v) for v in range(value[0], value[1] + 1))
            else:  # a negated set, a category (\w): any
                return None
        return frozenset(out)
    if op is c.SUBPATTERN:
        if av[1] & re.IGNORECASE:
            return None
        return _first_chars(list(av[3]))
    if op is c.BRANCH:
        alts = [_first_chars(list(b)) for b in av[1]]
        return None if any(a is None for a in alts) else frozenset().union(*alts)  # type: ignore[arg-type]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
        return _first_chars(list(av[2]))
    return None


def _rule_facts(source: str) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """The characters a table pattern's match can start with (None: any) and its group names
    in order, from one parse of its text (the rules are matched through the dispatch
    alternations, never compiled one by one here)."""
    from re import _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(source)
    names = tuple(parsed.state.groupdict)
    if parsed.state.flags & re.IGNORECASE:
        return None, names
    return _first_chars(list(parsed)), names


@functools.cache
def _table_facts() -> tuple[
    tuple[frozenset[str] | None, ...], tuple[tuple[tuple[str, str], ...], ...]
]:
    """Per table rule, the characters its match can start with (None: any), and its (group
    name in a dispatch pattern, field name) pairs in the rule's group order: parsed on the
    first peel, not at import (a command that peels no chain never needs them)."""
    facts = [_rule_facts(r.source) for r in rules.RULES]
    starts = tuple(starts for starts, _ in facts)
    groups = tuple(
        tuple((f"r{i}_{name}", name) for name in names) for i, (_, names) in enumerate(facts)
    )
    return starts, groups


_DISPATCHERS: dict[tuple[int, ...], re.Pattern[str]] = {}


def _alternative(i: int) -> str:
    """Table rule ``i`` as a named group whose own groups are named apart from other rules'."""
    body = _NAMED_GROUP.sub(lambda m: f"(?P<r{i}_{m.group(1)}>", rules.RULES[i].source)
    return f"(?P<r{i}>{body})"


@functools.lru_cache(maxsize=1024)
def _dispatch(first: str) -> re.Pattern[str]:
    """The table rules that can match text starting with ``first``, in table order, as one
    alternation (each rule's groups renamed ``r<i>_<name>``, its whole match ``r<i>``): one
    C-level match finds the first rule that matches and its fields, as trying the rules in
    order would (a rule left out cannot match that first character)."""
    which = tuple(i for i, s in enumerate(_table_facts()[0]) if s is None or first in s)
    found = _DISPATCHERS.get(which)
    if found is None:
        alts = (_alternative(i) for i in which)
        found = _DISPATCHERS[which] = re.compile("|".join(alts) or "(?!)")
    return found


def _peel_regex(rest: str) -> tuple[Layer, str] | None:
    hit = _dispatch(rest[:1]).match(rest)
    if hit is None or hit.lastgroup is None:
        return None
    i = int(hit.lastgroup[1:])
    rule = rules.RULES[i]
    names = _table_facts()[1][i]
    fields = {}
    if names:
        values = hit.group(*(g for g, _ in names)) if len(names) > 1 else (hit.group(names[0][0]),)
        for (_, name), value in zip(names, values, strict=True):
            if value is not None:
                fields[name] = value
    fields.update(rule.fields)
    if rule.post is not None:
        rule.post(fields)
    return Layer(rule.kind, hit.group(0), fields), rest[hit.end() :]


def _peel_sync_result(rest: str) -> tuple[Layer, str] | None:
    """Kubelet ``failed to "Action" for "target" with XError: "<msg>"`` (msg was %q-quoted)."""
    match = rules.SYNC_RESULT.match(rest)
    if match is None:
        return None
    fields = rules.target_fields(match.group("target"))
    action = match.group("action")
    fields["action"] = action
    if action in rules.ACTION_OPS:
        fields["op"] = rules.ACTION_OPS[action]
    inner = rest[match.end() :]
    if inner.endswith('"'):
        inner = inner[:-1]
    return Layer("kubelet", match.group(0), fields), inner


def _peel_shim_status(rest: str) -> tuple[Layer, str] | None:
    """``CNI request failed with status 400: '<body>\\n'[: StdinData: {conf}]`` (thick shim)."""
    match = rules.SHIM_STATUS.match(rest)
    if match is None:
        return None
    fields = {"status": match.group("status")}
    body = rest[match.end() :]
    cut = body.rfind("': StdinData: ")
    if cut >= 0:
        fields["stdin_data"] = body[cut + len("': StdinData: ") :].strip()
        body = body[:cut]
    elif body.rstrip().endswith("'"):
        body = body.rstrip()[:-1]
    return Layer("multus-shim", match.group(0), fields), body.rstrip()


def _peel_daemon_args(rest: str) -> tuple[Layer, str] | None:
    """Thick daemon ``<cmdArgs> ERRORED: `` with the request's IDs (v4.0 ``%+v`` or v4.1 form)."""
    if not rules.DAEMON_ARGS.match(rest):
        return None
    cut = rest.find(" ERRORED: ")
    if cut < 0:
        return None
    head = rest[: cut + len(" ERRORED: ")]
    fields = rules.daemon_fields(head)
    decoded = decode_byte_array(head)
    if decoded is not None:
        fields["stdin_data"] = decoded
    return Layer("multus-daemon", head, fields), rest[len(head) :]


#: the table first (most layers); the procedural peelers share no prefix with any table rule
_PEELERS: Final[tuple[Peel, ...]] = (
    _peel_regex,
    _peel_sync_result,
    _peel_shim_status,
    _peel_daemon_args,
)


_AGGREGATE_MARKS: Final = lazy(r"[\[\],]")


def _split_aggregate(text: str) -> list[str] | None:
    """Members of ``[a, b]`` (utilerrors aggregate) or ``errors: a / b`` (multus DEL)."""
    if text.startswith("errors: ") and " / " in text:
        return [p for p in text[len("errors: ") :].split(" / ") if p]
    if not (text.startswith("[") and text.endswith("]")):
        return None
    parts: list[str] = []
    depth, start = 0, 1
    body_end = len(text) - 1
    for mark in _AGGREGATE_MARKS.finditer(text):  # only brackets and commas decide
        i, ch = mark.start(), mark.group()
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0 and i != body_end:
                return None  # "[ns/pod:net]: ..." is a multus prefix, not an aggregate
        elif ch == "," and depth == 1 and text.startswith(" ", i + 1):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:body_end])
    return parts if len(parts) > 1 else None


#: what a cut text ends with: ``>`` after a non-space (``<...>`` of Go's %v cut), ``...`` (after
#: at most one space) or ``…``, then only whitespace (``_TRUNCATED`` written as an end test)
_TRUNCATED = lazy(r"(?:[^\s<]>|\s?\.\.\.|…)\s*$")


def _truncation_start(text: str) -> int | None:
    """Where :data:`_TRUNCATED` would first match in ``text``, read from its end.

    The pattern can only match in the last few characters before trailing whitespace, but a
    search tries it at every position of a long error: this finds the same leftmost match
    (``tests/test_chain.py`` holds it to the pattern) in constant time.
    """
    end = len(text.rstrip())
    if end == 0:
        return None
    last = text[end - 1]
    if last == ">":
        if end >= 2 and not text[end - 2].isspace() and text[end - 2] != "<":
            return end - 2
        return None
    if last == "…":
        return end - 1
    if last == "." and text.endswith("...", 0, end):
        start = end - 3
        return start - 1 if start >= 1 and text[start - 1].isspace() else start
    return None


def _strip_truncation(text: str) -> tuple[str, bool]:
    start = _truncation_start(text)
    if start is None or text.endswith("<nil>"):
        return text, False
    cut = start + (1 if text[start] not in " .…" else 0)
    return text[:cut].rstrip(), True


#: peeling stops after this many layers (real chains have under 20; the cap keeps adversarial
#: input of thousands of tiny prefixes linear) and aggregates nest at most this deep
MAX_LAYERS: Final = 64
MAX_AGGREGATE_DEPTH: Final = 4


#: distinct error texts remembered by :func:`unwrap_error`; a node log repeats a few hundred
#: distinct chains thousands of times, so each is peeled once per process. Bounded in count and
#: in text length (at most ~32 MB of text pinned), so a long ``watch`` stays flat in memory.
_CACHE_ENTRIES: Final = 4096
#: longer texts are rare and peeled each time (the cache must not pin megabytes of text)
_CACHE_MAX_CHARS: Final = 8192


#: the chains of the analysis running in this context (see :func:`shared_chains`)
_SCOPE: ContextVar[dict[str, ErrorChain] | None] = ContextVar("shared_chains", default=None)


@contextmanager
def shared_chains() -> Iterator[None]:
    """Within the block every distinct text is unwrapped once, however many there are.

    A report builds timelines and a diagnosis of the same input: both unwrap the same failures,
    often more distinct texts (each retry names a new sandbox ID) than the process-wide cache
    holds, which then evicts them between the two. The scope holds this analysis's chains and
    is dropped when it ends, so a long ``watch`` still keeps only the bounded cache.
    """
    if _SCOPE.get() is not None:  # an outer analysis already shares its chains
        yield
        return
    token = _SCOPE.set({})
    try:
        with shaped_chains():
            yield
    finally:
        _SCOPE.reset(token)


@contextmanager
def shaped_chains() -> Iterator[None]:
    """Within the block :func:`prime_shapes` keeps the shapes it peels (dropped at its end)."""
    if _SHAPED.get() is not None:  # an outer analysis keeps them already
        yield
        return
    token = _SHAPED.set({})
    try:
        yield
    finally:
        _SHAPED.reset(token)


def unwrap_error(text: str) -> ErrorChain:
    """Split ``text`` into layers outermost → innermost; never loses text (see module doc).

    The result is immutable and shared between callers that pass the same text.
    """
    if len(text) > _CACHE_MAX_CHARS:
        return _unwrap(text, 0)
    scope = _SCOPE.get()
    if scope is None:
        return _unwrap_cached(text)
    found = scope.get(text)
    if found is None:
        found = scope[text] = _unwrap_cached(text)
    return found


@functools.lru_cache(maxsize=_CACHE_ENTRIES)
def _unwrap_cached(text: str) -> ErrorChain:
    return _unwrap(text, 0)


#: texts of the analysis running in this context -> their shape's chain (see :func:`prime_shapes`)
_SHAPED: ContextVar[dict[str, ErrorChain] | None] = ContextVar("shaped_chains", default=None)


def prime_shapes(texts: pl.Series) -> None:
    """Within :func:`shaped_chains`, peel each distinct *shape* of ``texts`` once, so that
    :func:`shaped_facts` answers for every text of it (without a scope: nothing).

    Texts that differ only by sandbox IDs, pod UIDs and a Multus prefix's pod (one failure
    retried for thousands of pods) share a shape (:mod:`multus_forensics._chain_shape`), made
    for all of them in one vectorised pass.
    """
    import polars as pl

    shaped = _SHAPED.get()
    if shaped is None:
        return
    pairs = (
        pl.DataFrame({"t": texts.unique()})
        .filter(pl.col("t").str.len_chars().is_between(1, _CACHE_MAX_CHARS))
        .with_columns(_chain_shape.shapes(pl.col("t")).alias("s"))
        .drop_nulls("s")
    )
    peeled: dict[str, ErrorChain] = {}
    for text, shape in pairs.iter_rows():
        chain = peeled.get(shape)
        if chain is None:
            chain = peeled[shape] = _unwrap(shape, 0)
        shaped[text] = chain


@dataclass(frozen=True)
class ShapedFacts:
    """The facts of ``text``'s chain read from its shape's chain ``shape``: a value holding no
    placeholder is the text's own; one that may is read from the text's chain, peeled then."""

    text: str
    shape: ErrorChain

    @cached_property
    def chain(self) -> ErrorChain:
        return unwrap_error(self.text)

    def get(self, key: str) -> str | None:
        value = self.shape.get(key)
        return self.chain.get(key) if value and _chain_shape.marked(value) else value

    def innermost(self, key: str) -> str | None:
        value = self.shape.innermost(key)
        return self.chain.innermost(key) if value and _chain_shape.marked(value) else value

    @property
    def op(self) -> str | None:
        return self.get("op")

    @property
    def leaf(self) -> str:
        leaf = self.shape.leaf
        return self.chain.leaf if _chain_shape.marked(leaf) else leaf


def shaped_facts(text: str) -> ShapedFacts | None:
    """``text``'s facts from its shape's chain when :func:`prime_shapes` peeled it, else None."""
    shaped = _SHAPED.get()
    shape = shaped.get(text) if shaped is not None else None
    return ShapedFacts(text, shape) if shape is not None else None


def _unwrap(text: str, depth: int) -> ErrorChain:
    whole = unquote_levels(text)
    rest, truncated = _strip_truncation(whole)
    layers: list[Layer] = []
    aggregate: tuple[ErrorChain, ...] = ()
    while rest and len(layers) < MAX_LAYERS:
        members = _split_aggregate(rest) if depth < MAX_AGGREGATE_DEPTH else None
        if members is not None:
            aggregate = tuple(_unwrap(m, depth + 1) for m in members)
            break
        for peel in _PEELERS:
            peeled = peel(rest)
            if peeled is not None:
                layers.append(peeled[0])
                rest = peeled[1]
                break
        else:
            break
    layers.append(Layer("leaf", rest, rules.leaf_fields(rest)))
    return ErrorChain(whole, tuple(layers), truncated, aggregate)


def chain_json(chain: ErrorChain) -> str:
    """The layers as JSON (kind, text, fields) for frames and reports."""
    return json.dumps(
        [{"kind": lay.kind, "text": lay.text, "fields": dict(lay.fields)} for lay in chain.layers],
        sort_keys=True,
    )
