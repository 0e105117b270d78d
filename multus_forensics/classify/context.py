"""What rules see: each event's text (with hard wraps undone), its unwrapped error, and the
context of the whole input (pods, attempts, interface add order from the timeline) that
predicates inspect.

The error chain comes from :func:`multus_forensics.chain.unwrap_error` when that module is
present; the small fallback below only recovers the facts rules need (operation, network,
interface, pod), so the classifier keeps working on whatever the chain module cannot peel.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import regex

from multus_forensics.classify.normalise import casefold_variants, normalise
from multus_forensics.model import Event

if TYPE_CHECKING:
    from multus_forensics.classify.addorder import AddOrder

#: record continuation glue: newline plus indentation or TUI borders of a wrapped paste
_WRAP: Final = regex.compile(r"[ \t]*[│|]?[ \t]*\n[ \t]*[│|]?[ \t]*")
_ADD: Final = regex.compile(
    r"failed \(add\)|setup network|set ?up (?:sandbox|pod)|CreatePodSandbox|RunPodSandbox|CmdAdd|"
    r"[Dd]elegate ?[Aa]dd|error adding (?:container|pod)|Err adding|CNI_COMMAND=ADD|add command",
)
_DEL: Final = regex.compile(
    r"failed \(delete\)|destroy network|teardown|tear down|StopPodSandbox|KillPodSandbox|"
    r"FailedKillPod|CmdDel|CmdCheck \(shim\)|[Dd]elegate ?[Dd]el|conflistDel|CNI_COMMAND=DEL|"
    r"CNI DEL|on del\b|Delete old config",
)
_NETWORK: Final = regex.compile(
    r"(?:error adding container to network|Err adding pod to network|"
    r'error invoking \w+ - |Delegate add - )\s*"(?P<net>[^"]{1,253})"'
)
_PREFIX: Final = regex.compile(
    r"\[(?P<ns>[a-z0-9.-]{0,253})/(?P<pod>[a-z0-9.-]{1,253})(?:/(?P<uid>[0-9a-f-]{36}))?"
    r"(?::(?P<net>[^\]\s]{1,253}))?\]"
)
_IFNAME: Final = regex.compile(
    r'interface name (?:to )?"?(?P<if>[\w.@-]{1,15})"?|ifname (?:to )?"?(?P<if2>[\w.@-]{1,15})'
)
_PLUGIN_TYPE: Final = regex.compile(
    r'plugin type="(?P<t>[^"]{1,64})"(?: name="(?P<n>[^"]{1,253})")?'
)


def unwrap(text: str) -> Any:
    """``multus_forensics.chain.unwrap_error(text)`` or ``None`` when the module is absent."""
    try:
        mod = importlib.import_module("multus_forensics.chain")
    except ImportError:
        return None
    fn: Callable[[str], Any] | None = getattr(mod, "unwrap_error", None)
    if fn is None:
        return None
    try:
        return fn(text)
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


@dataclass
class EventView:
    """One event as rules see it: texts to match, the chain, and identities recovered from it."""

    index: int
    event: Event
    #: what normalisation repaired in this event's texts (set when ``texts`` is first read)
    normalised: tuple[str, ...] = ()

    @cached_property
    def error_text(self) -> str:
        """The error the event carries (error column, else the message of error-level events)."""
        e = self.event
        if e.error:
            return e.error
        if e.level in ("error", "fatal") or e.kind.endswith("failed") or "Failed" in e.kind:
            return e.message or e.raw
        return ""

    @cached_property
    def texts(self) -> tuple[str, ...]:
        """Distinct texts to try: error, message and raw record, each also as normalised
        (:mod:`multus_forensics.classify.normalise`) and in upstream's case when it was changed."""
        e = self.event
        out: list[str] = []
        notes: list[str] = []
        for t in (e.error or "", e.message, e.raw):
            if not t:
                continue
            fixed = normalise(t)
            notes.extend(n for n in fixed.notes if n not in notes)
            for v in (t, unwrapped_text(t), fixed.text, *casefold_variants(fixed.text)):
                if v and v not in out and not any(v in o for o in out):
                    out.append(v)
        self.normalised = tuple(notes)
        return tuple(out)

    @cached_property
    def chain(self) -> Any:
        return unwrap(self.error_text) if self.error_text else None

    def _chain_field(self, key: str) -> str | None:
        ch = self.chain
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

    @cached_property
    def leaf(self) -> str:
        """The innermost error (the chain's leaf, else the text after the last known prefix)."""
        leaf = getattr(self.chain, "leaf", None)
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

    @cached_property
    def op(self) -> str | None:
        op = getattr(self.chain, "op", None)
        if isinstance(op, str) and op:
            return "del" if op.lower().startswith(("del", "check", "kill", "stop")) else "add"
        return _op(" ".join(self.texts))

    @cached_property
    def network(self) -> str | None:
        net = self._chain_field("network")
        if net:
            return net
        nets = [m.group("net") for m in _NETWORK.finditer(unwrapped_text(self.error_text))]
        return nets[-1] if nets else self.event.network

    @cached_property
    def interface(self) -> str | None:
        found = self._chain_field("interface")
        if found:
            return found
        m = _IFNAME.search(unwrapped_text(self.error_text))
        if m:
            return m.group("if") or m.group("if2")
        return self.event.interface

    @cached_property
    def plugin_types(self) -> tuple[str, ...]:
        """Plugin types named by libcni wrappers, outer first (``multus``, ``calico``...)."""
        return tuple(m.group("t") for m in _PLUGIN_TYPE.finditer(unwrapped_text(self.error_text)))

    @cached_property
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


@dataclass
class Context:
    """All events of one diagnosis, in input order, with lazily computed groupings."""

    views: list[EventView]
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, events: Sequence[Event]) -> Context:
        ordered = sorted(events, key=lambda e: (e.file, e.member or "", e.line))
        return cls([EventView(i, e) for i, e in enumerate(ordered)])

    @cached_property
    def errors(self) -> list[EventView]:
        return [v for v in self.views if v.error_text]

    @cached_property
    def order(self) -> AddOrder:
        """Add order per sandbox attempt, from the timeline (built on first use: only rules
        about interface collisions need it)."""
        from multus_forensics.classify.addorder import add_order

        return add_order([v.event for v in self.views], [v.pod for v in self.views])

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per diagnosis: predicates ask the same question for every hit."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]
