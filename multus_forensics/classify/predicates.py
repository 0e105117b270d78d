"""Named context predicates: the logic a rule's data cannot express, referenced by name.

Each predicate answers one question about a hit in its context and returns the events that
prove it (an empty list or ``False`` means "no"); those events join the finding's evidence, so
a context claim ("the default network was re-added through multus") is as traceable as the
matched error line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import regex

from multus_forensics.classify.normalise import pattern_skeleton
from multus_forensics.lazyre import lazy_regex

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.addorder import AttemptOrder, OrderRow
    from multus_forensics.classify.catalog import Rule
    from multus_forensics.classify.context import Context, EventView


@dataclass(frozen=True)
class Hit:
    """One rule pattern matching one event."""

    rule: Rule
    view: EventView
    match: regex.Match[str]


class Rows(tuple[int, ...]):
    """Context positions of rows that prove a claim, when no predicate reads their views: the
    engine writes their evidence from the frame's columns (an attempt's known add order cites
    every add of it; a Multus log's attempts cite tens of thousands of adds)."""

    __slots__ = ()


Outcome = bool | list["EventView"] | Rows
Predicate = Callable[["Context", Hit], Outcome]

#: CNI config names of the usual cluster-default networks (the primary CNI, not a NAD)
PRIMARY_NETWORKS: Final = frozenset(
    {
        "cbr0",
        "flannel",
        "flannel.1",
        "k8s-pod-network",
        "cilium",
        "cilium-cni",
        "ovn-kubernetes",
        "weave",
        "kindnet",
        "antrea",
        "canal",
        "calico",
        "default-cni-network",
        "kube-ovn",
    }
)
#: the config name multus gives itself; re-entry through it is the self-delegation tell-tale
MULTUS_NETWORKS: Final = frozenset({"multus-cni-network"})

_NESTED_LITERAL: Final = "error adding container to network"
_NESTED: Final = lazy_regex(
    r'error adding container to network "[^"]{1,253}": \[[^\]\s]{1,300}:[^\]\s]{1,253}\]: '
    r"error adding container to network"
)
_DELETION: Final = lazy_regex(r"\bseconds? after deletion\b|deletionTimestamp|being deleted")
_RESTART: Final = lazy_regex(
    r"caught terminated|OOMKilled|Delete old config @|Evicted|multus daemon (?:is )?(?:start|restart)"
)
#: patterns predicates search every event's text for (their literals join the pre-filter)
MARKERS: Final = (_DELETION.pattern, _RESTART.pattern)
#: the nested-delegate pattern, whose fragment skeleton the packaged derived file ships
NESTED_PATTERN: Final = _NESTED.pattern


def _kinds(*kinds: str) -> pl.Expr:
    import polars as pl

    return pl.col("kind").is_in(list(kinds))


def _multus_config_rows() -> pl.Expr:
    import polars as pl

    return pl.col("kind").str.starts_with("multus:") & pl.col("fields").str.contains(
        "self_delegating", literal=True
    )


def _reentry_rows(ctx: Context, attempt: AttemptOrder) -> Rows:
    """An attempt's re-entry as positions, one object per diagnosis (every hit in the attempt
    asks again, and the engine merges one object once)."""
    rows: Rows = ctx.memo(f"attempt:reentry:{id(attempt)}", lambda: Rows(attempt.reentry))
    return rows


def _reentries(ctx: Context, hit: Hit) -> list[Rows]:
    """Re-entry sequences (default interface, secondaries, its re-add via multus) in the
    attempts related to the hit, as the timeline ordered them for every add source: positions,
    since only the last one's is compared and all are cited (their evidence is read from the
    columns, so a log where every attempt re-enters makes no view of them)."""
    view = hit.view

    def compute() -> list[Rows]:
        attempts = ctx.order.of_event(view.index, view.pod)
        return [_reentry_rows(ctx, a) for a in attempts if a.reentry]

    # asked by four predicates for each hit (the answer is the event's): once per event
    known = _by_event(ctx, "reentries")
    found: list[Rows] | None = known.get(view.index)
    if found is None:
        found = known[view.index] = compute()
    return found


def _by_event(ctx: Context, question: str) -> dict[Any, Any]:
    """The answers to ``question`` so far, by event position (or the key the question is asked
    by): one dict per diagnosis, since a memo key made per hit and question cost as much as
    the answers themselves."""
    answers: dict[Any, Any] = ctx.memo(question, dict)
    return answers


def self_delegation_reentry(ctx: Context, hit: Hit) -> Outcome:
    """The pod's default interface was re-added through multus after its secondaries."""
    found = _reentries(ctx, hit)
    return found[0] if found else False


def is_reentry_add(ctx: Context, hit: Hit) -> Outcome:
    """This ``Add`` event is the re-entry itself (the default interface coming back via multus)."""
    for seq in _reentries(ctx, hit):
        if seq[-1] == hit.view.index:
            return seq
    return False


def _failing_interface(hit: Hit) -> str | None:
    named = hit.match.group("interface") if "interface" in hit.match.re.groupindex else None
    return named or hit.view.interface


def order_known_without_reentry(ctx: Context, hit: Hit) -> Outcome:
    """The add order of the hit's attempt is known and shows no re-entry through multus.

    When the outer multus collides, the inner one has returned and the default interface was
    re-added first, so a known order without that re-add speaks against self-delegation. It
    says nothing when the order is unknown (no add source in the input) or when the failure is
    inside the inner multus (a nested error: the re-add would only have come after it).
    """
    if nested_multus_delegate(ctx, hit):
        return False
    own = ctx.order.own(hit.view.index)
    if not own or _reentries(ctx, hit):
        return False
    first = own[0]
    # the rows are only cited, never read here: positions, one object per attempt (every hit
    # in it asks again), whose evidence is written from the columns
    known = _by_event(ctx, "attempt-rows")
    rows: Rows | None = known.get(id(first))
    if rows is None:
        rows = known[id(first)] = Rows([r.position for r in first.rows])
    return rows


def colliding_name_from_other_attachment(ctx: Context, hit: Hit) -> Outcome:
    """The colliding name was added earlier in the same attempt by a *different* attachment
    (another NAD, or the default network for eth0), with no re-entry: a duplicate request."""
    if _reentries(ctx, hit) or nested_multus_delegate(ctx, hit):
        return False
    own = ctx.order.own(hit.view.index)
    if not own:
        return False
    interface, network = _failing_interface(hit), hit.view.network
    if not interface or not network:
        return False  # (other_attachment_rows finds none)
    for attempt in own:
        views = _other_views(ctx, attempt, interface, network)
        if views:
            return views
    return False


def _other_views(
    ctx: Context, attempt: AttemptOrder, interface: str, network: str
) -> list[EventView]:
    """Views of :func:`_other_attachment_rows`, one list per attempt, interface and network:
    hits of one attempt collide alike, and the score merges one list once."""
    known = _by_event(ctx, "other-rows")
    key = (id(attempt), interface, network)
    views: list[EventView] | None = known.get(key)
    if views is None:
        rows = _other_attachment_rows(attempt, interface, network)
        views = known[key] = ctx.views_at(r.position for r in rows) if rows else []
    return views


def _other_attachment_rows(
    attempt: AttemptOrder, interface: str | None, network: str | None
) -> list[OrderRow]:
    from multus_forensics.classify.addorder import other_attachment_rows

    return other_attachment_rows(attempt, interface, network)


def self_delegating_config(ctx: Context, hit: Hit) -> Outcome:
    """A Multus config in the input (entrypoint/daemon log, request stdin) delegates to multus."""
    found: list[EventView] = ctx.memo(
        "self_delegating_config",
        lambda: [
            v
            for v in ctx.select("multus-config", _multus_config_rows)
            if v.event.fields.get("self_delegating") is True
        ],
    )
    return found


def nested_multus_delegate(ctx: Context, hit: Hit) -> Outcome:
    """One delegate's error wraps another multus per-delegate error: multus ran inside multus."""
    view = hit.view
    # asked by four predicates of two rules for each hit: answered once per event
    known = _by_event(ctx, "nested")
    found: bool | None = known.get(view.index)
    if found is None:
        found = known[view.index] = _nested_of(ctx, view)
    return found


def _nested_of(ctx: Context, view: EventView) -> bool:
    """:func:`nested_multus_delegate` of ``view``'s event, found (not looked up)."""
    texts = view.texts
    may = _nested_possible(ctx).get(view.index)
    if may is None:
        may = texts.may_hold((pattern_skeleton(_NESTED.pattern),))
    else:
        texts.started = True  # (as the test of the view's own texts counts as reading them)
    if not may:
        return False  # no text can name the wrapper twice: its variants are not made
    # a nested error names the wrapper twice; counting it spares the search in most texts
    return any(t.count(_NESTED_LITERAL) > 1 and _NESTED.search(t) for t in texts)


def _nested_possible(ctx: Context) -> dict[int, bool]:
    """Per error row holding a catalog fragment, whether its texts' skeletons can hold the
    nested pattern (``Texts.may_hold``), tested for all of them in one pass: the question is
    asked for every hit of two rules, and each view's own test made a skeleton of each text."""

    def compute() -> dict[int, bool]:
        import polars as pl

        from multus_forensics.classify.context import error_rows
        from multus_forensics.classify.normalise import may_hold_expr

        skeletons = (pattern_skeleton(_NESTED.pattern),)
        rows = ctx.texty.with_columns(ctx.ends_raw).lazy().filter(error_rows())
        error, message, raw = (pl.col(c).fill_null("") for c in ("error", "message", "raw"))
        # a skeleton is made character by character: where the message and error end the raw
        # record, theirs end its skeleton, and whatever they may hold, it may hold
        inside = pl.col("ends_raw")
        every = pl.any_horizontal(may_hold_expr(c, skeletons) for c in (error, message, raw))
        found = pl.concat(
            [
                rows.filter(inside).select("_pos", may_hold_expr(raw, skeletons).alias("may")),
                rows.filter(~inside).select("_pos", every.alias("may")),
            ]
        ).collect()
        return dict(
            zip(found.get_column("_pos").to_list(), found.get_column("may").to_list(), strict=True)
        )

    possible: dict[int, bool] = ctx.memo("nested-possible", compute)
    return possible


def failing_ifname_is_default(ctx: Context, hit: Hit) -> Outcome:
    """The name that collides is the default interface (eth0).

    Under self-delegation the inner multus owns eth0 and the outer one collides on the first
    *secondary* name (net1...), so a collision on eth0 points at a duplicate request instead.
    """
    return _failing_interface(hit) == "eth0"


def teardown(ctx: Context, hit: Hit) -> Outcome:
    """The failing operation is a DEL / sandbox teardown."""
    return hit.view.op == "del"


def setup(ctx: Context, hit: Hit) -> Outcome:
    """The failing operation is an ADD / sandbox creation."""
    return hit.view.op == "add"


def teardown_only(ctx: Context, hit: Hit) -> Outcome:
    """Every error of this signature in the input is on teardown, none on setup."""

    def compute() -> bool:
        pool = ctx.candidates(hit.rule, errors_only=True)
        same = [v for v in pool if any(hit.rule.first_match(t) for t in v.texts)]
        return bool(same) and all(v.op == "del" for v in same)

    return bool(ctx.memo(f"teardown_only:{hit.rule.id}", compute))


def teardown_failures(ctx: Context, hit: Hit) -> Outcome:
    """Some DEL / teardown failed in the input (IPs a failed DEL holds are never released)."""
    dels: list[EventView] = ctx.memo(
        "teardown_failures", lambda: [v for v in ctx.errors if v.op == "del"]
    )
    # the memoised list itself when the hit is not one of them: the same answer for every hit
    return [v for v in dels if v is not hit.view] if hit.view.op == "del" else dels


def pod_deleted_before(ctx: Context, hit: Hit) -> Outcome:
    """The pod was being deleted when the error happened."""
    marked = ctx.marked(_DELETION)
    killing = ctx.select("killing", lambda: _kinds("kubelet:pod:killing"))
    return marked + [v for v in killing if v.pod == hit.view.pod]


def default_network_delegate(ctx: Context, hit: Hit) -> Outcome:
    """The failing delegate is the cluster-default network, not a secondary attachment."""
    v = hit.view
    if v.network and (
        v.network in PRIMARY_NETWORKS or v.network.split("/")[-1] in PRIMARY_NETWORKS
    ):
        return True
    defaults: set[str | None] = ctx.memo(
        "default_networks",
        lambda: {a.rows[0].network for a in ctx.order.attempts if a.rows} - {None},
    )
    return bool(v.network) and v.network in defaults - MULTUS_NETWORKS


def secondary_attachment(ctx: Context, hit: Hit) -> Outcome:
    """The failing delegate is a secondary attachment (a NAD, not eth0 of the primary CNI)."""
    v = hit.view
    if not v.network or v.network in MULTUS_NETWORKS:
        return False
    return not default_network_delegate(ctx, hit) and v.interface != "eth0"


def multus_restarted(ctx: Context, hit: Hit) -> Outcome:
    """Multus (daemon or entrypoint) stopped, was evicted or OOM-killed in the input."""

    def compute() -> list[EventView]:
        started = ctx.select(
            "multus-daemon", lambda: _kinds("multus:daemon:stop", "multus:daemon:start")
        )
        found = {v.index: v for v in [*started, *ctx.marked(_RESTART)]}
        return [found[i] for i in sorted(found)]

    # the same for every hit: one list, which the score also recognises as one
    restarts: list[EventView] = ctx.memo("multus_restarted", compute)
    return restarts


#: where CNI plugin binaries live (listing folders that say which plugins exist)
_BIN_DIR: Final = lazy_regex(r"(?:^|/)(?:cni/bin|libexec/cni|k3s/data/[^/]+/bin|kubernetes/bin)$")
_NET_D: Final = lazy_regex(r"(?:^|/)cni/net\.d$")
_MULTUS_CONF: Final = lazy_regex(r"^\d\d-multus\.conf(?:list)?$")
#: events that show a multus daemon or pod running (it is installed)
_MULTUS_ALIVE: Final = lazy_regex(
    r"kube-multus|multus-daemon|multus-[a-z0-9]{5}\b|Config file created @"
)


def _of_kinds(ctx: Context, *kinds: str) -> list[EventView]:
    """The events of these kinds, in input order (the configuration predicates read only them)."""
    return ctx.select(f"kinds:{','.join(kinds)}", lambda: _kinds(*kinds))


def _configs(ctx: Context) -> list[EventView]:
    return _of_kinds(ctx, "config:cni", "config:nad")


def _listing(ctx: Context) -> list[EventView]:
    return _of_kinds(ctx, "listing:entry")


def _multus_alive(ctx: Context) -> bool:
    """Some record (not a listing) shows a multus daemon or pod running."""
    import polars as pl

    alive = pl.col("raw").str.contains(_MULTUS_ALIVE.pattern) & (pl.col("kind") != "listing:entry")
    found: bool = ctx.memo("multus_alive", lambda: bool(ctx.frame.select(alive.any()).item()))
    return found


def config_delegates_to_multus(ctx: Context, hit: Hit) -> Outcome:
    """A CNI config or NAD in the input makes multus call multus (a multus-typed delegate)."""
    return [v for v in _configs(ctx) if v.event.fields.get("self_delegating") is True]


def multus_config_left_behind(ctx: Context, hit: Hit) -> Outcome:
    """A listing of /etc/cni/net.d still holds 00-multus.conf while Multus's other parts are
    gone: no multus.d beside it, or no multus binary in a listed bin folder, and nothing in the
    input shows a multus daemon or pod running."""

    def compute() -> list[EventView]:

        entries = _listing(ctx)
        confs = [
            v
            for v in entries
            if _MULTUS_CONF.match(str(v.event.fields.get("name")))
            and (v.event.fields.get("dir") is None or _NET_D.search(str(v.event.fields.get("dir"))))
        ]
        if not confs:
            return []
        net_d = {(v.event.file, v.event.fields.get("dir")) for v in confs}
        kubeconfig_dir = any(
            (v.event.file, v.event.fields.get("dir")) in net_d
            and v.event.fields.get("name") == "multus.d"
            for v in entries
        )
        bins = [v for v in entries if _BIN_DIR.search(str(v.event.fields.get("dir") or ""))]
        binary = any(str(v.event.fields.get("name")) in ("multus", "multus-shim") for v in bins)
        gone = not kubeconfig_dir or (bool(bins) and not binary)
        return confs if gone and not _multus_alive(ctx) else []

    found: list[EventView] = ctx.memo("multus_config_left_behind", compute)
    return found


def plugin_missing_from_bin(ctx: Context, hit: Hit) -> Outcome:
    """A plugin a config or NAD in the input names is absent from a listed CNI bin folder."""
    bins = [v for v in _listing(ctx) if _BIN_DIR.search(str(v.event.fields.get("dir") or ""))]
    if not bins:
        return False
    present = {str(v.event.fields.get("name")) for v in bins}
    missing = [
        v
        for v in _configs(ctx)
        if any(t not in present for t in v.event.fields.get("plugin_types") or ())
    ]
    return [*missing, *bins[:1]] if missing else False


def cni_version_disagreement(ctx: Context, hit: Hit) -> Outcome:
    """Configs in the input declare different cniVersions, or one declares none."""
    configs = [v for v in _configs(ctx) if v.event.fields.get("config_state", "parsed") == "parsed"]
    versions = {v.event.fields.get("cniVersion") for v in configs}
    return configs if len(versions) > 1 or (configs and None in versions) else False


def nad_names_failing_master(ctx: Context, hit: Hit) -> Outcome:
    """A NAD in the input names the master the hit says is missing."""
    master = hit.match.groupdict().get("master") if hit.match.re.groupindex else None
    if not master:
        return False
    return [v for v in _configs(ctx) if v.event.fields.get("master") == master]


class Batch:
    """The hits of one rule scored together: what several predicates ask of each hit (its
    re-entries, whether its error nests multus, its failing interface) is read once per hit
    for all of them, and the context's answers so far are looked up once per batch."""

    __slots__ = ("_failing", "_nested", "_reentries", "ctx", "hits")

    def __init__(self, ctx: Context, hits: list[Hit]) -> None:
        self.ctx, self.hits = ctx, hits
        self._reentries: list[list[Rows]] | None = None
        self._nested: list[bool] | None = None
        self._failing: list[str | None] | None = None

    @property
    def reentries(self) -> list[list[Rows]]:
        """:func:`_reentries` of every hit (one list per distinct answer of the add order)."""
        if self._reentries is None:
            ctx = self.ctx
            known = _by_event(ctx, "reentries")
            #: per list of attempts (shared by the events of one pod), its re-entries
            by_list: dict[int, list[Rows]] = {}
            out: list[list[Rows]] = []
            for hit in self.hits:
                view = hit.view
                found: list[Rows] | None = known.get(view.index)
                if found is None:
                    attempts = ctx.order.of_event(view.index, view.pod)
                    found = by_list.get(id(attempts))
                    if found is None:
                        found = by_list[id(attempts)] = [
                            _reentry_rows(ctx, a) for a in attempts if a.reentry
                        ]
                    known[view.index] = found
                out.append(found)
            self._reentries = out
        return self._reentries

    @property
    def nested(self) -> list[bool]:
        """:func:`nested_multus_delegate` of every hit."""
        if self._nested is None:
            ctx = self.ctx
            known = _by_event(ctx, "nested")
            out: list[bool] = []
            for hit in self.hits:
                index = hit.view.index
                found: bool | None = known.get(index)
                if found is None:
                    found = known[index] = _nested_of(ctx, hit.view)
                out.append(found)
            self._nested = out
        return self._nested

    @property
    def failing(self) -> list[str | None]:
        """:func:`_failing_interface` of every hit (a pattern's groups looked up once)."""
        if self._failing is None:
            named: dict[int, bool] = {}
            out: list[str | None] = []
            for hit in self.hits:
                m = hit.match
                has = named.get(id(m.re))
                if has is None:
                    has = named[id(m.re)] = "interface" in m.re.groupindex
                out.append((m.group("interface") if has else None) or hit.view.interface)
            self._failing = out
        return self._failing


def _batch_reentry(ctx: Context, batch: Batch) -> list[Outcome]:
    return [found[0] if found else False for found in batch.reentries]


def _batch_nested(ctx: Context, batch: Batch) -> list[Outcome]:
    return list(batch.nested)


def _batch_default_ifname(ctx: Context, batch: Batch) -> list[Outcome]:
    return [name == "eth0" for name in batch.failing]


def _batch_order_known(ctx: Context, batch: Batch) -> list[Outcome]:
    """:func:`order_known_without_reentry` of every hit."""
    known = _by_event(ctx, "attempt-rows")
    out: list[Outcome] = []
    for hit, nested, reentries in zip(batch.hits, batch.nested, batch.reentries, strict=True):
        if nested:
            out.append(False)
            continue
        own = ctx.order.own(hit.view.index)
        if not own or reentries:
            out.append(False)
            continue
        first = own[0]
        rows: Rows | None = known.get(id(first))
        if rows is None:
            rows = known[id(first)] = Rows([r.position for r in first.rows])
        out.append(rows)
    return out


def _batch_colliding(ctx: Context, batch: Batch) -> list[Outcome]:
    """:func:`colliding_name_from_other_attachment` of every hit."""
    out: list[Outcome] = []
    hits, failing = batch.hits, batch.failing
    for k, (reentries, nested) in enumerate(zip(batch.reentries, batch.nested, strict=True)):
        out.append(False)
        if reentries or nested:
            continue
        hit = hits[k]
        own = ctx.order.own(hit.view.index)
        if not own:
            continue
        interface, network = failing[k], hit.view.network
        if not interface or not network:
            continue
        for attempt in own:
            views = _other_views(ctx, attempt, interface, network)
            if views:
                out[k] = views
                break
    return out


def _batch_same(name: str) -> Callable[[Context, Batch], list[Outcome]]:
    """A predicate whose answer is the context's, not the hit's: asked once, given to all."""

    def answer(ctx: Context, batch: Batch) -> list[Outcome]:
        if not batch.hits:
            return []
        return [PREDICATES[name](ctx, batch.hits[0])] * len(batch.hits)

    return answer


def outcomes(name: str, ctx: Context, batch: Batch) -> list[Outcome]:
    """``PREDICATES[name]`` of every hit of ``batch``, in order (the same answers, and the same
    objects where a predicate shares one, as asking hit by hit)."""
    batched = BATCHED.get(name)
    if batched is not None:
        return batched(ctx, batch)
    predicate = PREDICATES[name]
    return [predicate(ctx, hit) for hit in batch.hits]


PREDICATES: Final[dict[str, Predicate]] = {
    "self_delegation_reentry": self_delegation_reentry,
    "is_reentry_add": is_reentry_add,
    "order_known_without_reentry": order_known_without_reentry,
    "colliding_name_from_other_attachment": colliding_name_from_other_attachment,
    "self_delegating_config": self_delegating_config,
    "nested_multus_delegate": nested_multus_delegate,
    "failing_ifname_is_default": failing_ifname_is_default,
    "teardown": teardown,
    "setup": setup,
    "teardown_only": teardown_only,
    "teardown_failures": teardown_failures,
    "pod_deleted_before": pod_deleted_before,
    "default_network_delegate": default_network_delegate,
    "secondary_attachment": secondary_attachment,
    "multus_restarted": multus_restarted,
    "config_delegates_to_multus": config_delegates_to_multus,
    "multus_config_left_behind": multus_config_left_behind,
    "plugin_missing_from_bin": plugin_missing_from_bin,
    "cni_version_disagreement": cni_version_disagreement,
    "nad_names_failing_master": nad_names_failing_master,
}


#: predicates answered for a rule's hits at once (:func:`outcomes`); the others hit by hit
BATCHED: Final[dict[str, Callable[[Context, Batch], list[Outcome]]]] = {
    "self_delegation_reentry": _batch_reentry,
    "nested_multus_delegate": _batch_nested,
    "failing_ifname_is_default": _batch_default_ifname,
    "order_known_without_reentry": _batch_order_known,
    "colliding_name_from_other_attachment": _batch_colliding,
    "self_delegating_config": _batch_same("self_delegating_config"),
    "multus_restarted": _batch_same("multus_restarted"),
}


def _reentry_adds(ctx: Context) -> frozenset[int]:
    """Where :func:`is_reentry_add` can hold: the last event of some attempt's re-entry."""
    return frozenset(a.reentry[-1] for a in ctx.order.attempts if a.reentry)


#: for a predicate that can hold only at known positions, those positions (a superset): a rule
#: that requires it matches its patterns only there (a Multus log has an ``Add`` on most lines)
DOMAINS: Final[dict[str, Callable[[Context], frozenset[int]]]] = {
    "is_reentry_add": _reentry_adds,
}
