"""Classifier context from the timeline's add order: self-delegation versus duplicate request.

End to end through ``multus_forensics.diagnose`` on the project's samples, so the add order comes
from every real source (Multus ``Add:`` lines, describe AddedInterface rows) the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from multus_forensics import Event, diagnose
from multus_forensics.classify import Catalog, Diagnosis, Finding, load_catalog

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
SEED = SAMPLES / "seed"
DUPNAME = SAMPLES / "dupname"
SELF = "multus_self_delegation"
DUP = "duplicate_ifname_in_request"
T0 = datetime(2026, 3, 11, 9, 0, 0, tzinfo=UTC)


def run(*paths: Path) -> Diagnosis:
    return diagnose([str(p) for p in paths], year=2026)


def finding(diag: Diagnosis, cause: str) -> Finding:
    return next(f for f in diag if f.root_cause == cause)


def causes(diag: Diagnosis) -> list[str]:
    return [f.root_cause for f in diag]


@pytest.mark.parametrize(
    "names",
    [
        ("multus.log",),
        ("describe.txt",),
        ("multus.log", "kubelet.journal"),
        ("multus.log", "containerd.log"),
        ("multus.log", "containerd.log", "describe.txt", "kubelet.journal"),
    ],
    ids=lambda names: "+".join(names),
)
def test_seed_is_confident_self_delegation_from_any_source_of_add_order(
    names: tuple[str, ...],
) -> None:
    diag = run(*(SEED / n for n in names))
    best = diag[0]
    assert best.root_cause == SELF
    assert best.confidence >= 0.8
    assert any("re-added through multus" in r for r in best.reasons)
    assert finding(diag, DUP).confidence < best.confidence


def test_seed_multus_log_reentry_evidence_is_the_add_triplet() -> None:
    best = run(SEED / "multus.log")[0]
    context = {(Path(e.file).name, e.line) for e in best.evidence if e.claim == "context"}
    # attempt 1 of the probe pod: eth0 from cbr0, net1 from the NAD, eth0 from multus-cni-network
    assert {("multus.log", 2), ("multus.log", 3), ("multus.log", 4)} <= context


def test_kubelet_journal_alone_lists_both_without_a_confident_answer() -> None:
    diag = run(SEED / "kubelet.journal")
    assert diag[0].root_cause in (SELF, DUP)
    assert {SELF, DUP} <= set(causes(diag))
    assert all(f.confidence < 0.8 for f in diag if f.root_cause in (SELF, DUP))
    assert not any("add order is known" in r for r in finding(diag, SELF).reasons)


@pytest.mark.parametrize("names", [("multus.log", "containerd.log"), ("multus.log",)], ids="+".join)
def test_dupname_is_a_duplicate_request_with_self_delegation_listed_below(
    names: tuple[str, ...],
) -> None:
    diag = run(*(DUPNAME / n for n in names))
    best, alt = diag[0], finding(diag, SELF)
    assert best.root_cause == DUP
    assert best.confidence >= 0.8
    assert alt.confidence < best.confidence
    assert any("another attachment" in r for r in best.reasons)
    assert any("never came back through multus" in r for r in alt.reasons)
    # the earlier "Add ... net1" of the other NAD (macvlan-a) is cited as evidence
    assert ("multus.log", 2, "context") in {
        (Path(e.file).name, e.line, e.claim) for e in best.evidence
    }


def test_multus_add_lines_alone_show_the_reentry(tmp_path: Path) -> None:
    adds = [ln for ln in (SEED / "multus.log").read_text().splitlines() if "] Add:" in ln]
    log = tmp_path / "multus.log"
    log.write_text("\n".join(adds) + "\n")
    diag = run(log)
    assert diag.top == SELF
    assert diag[0].rule == "SELFDEL-REENTRY"
    assert diag[0].count == 3  # one re-entry per attempt


def test_order_of_another_attempt_does_not_count_as_no_reentry() -> None:
    # a partial paste: two Add rows of the first attempt, then the pod-level (x3) failure event
    diag = run(SAMPLES / "paste" / "k9s_describe_events.txt")
    assert diag.top == SELF
    assert not any("add order is known" in r for r in diag[0].reasons)


def test_self_delegating_config_in_an_entrypoint_log_raises_self_delegation() -> None:
    alone = run(SEED / "kubelet.journal")
    with_config = run(SEED / "kubelet.journal", SAMPLES / "multus" / "entrypoint.log")
    best = with_config[0]
    assert best.root_cause == SELF
    assert best.confidence >= 0.8 > finding(alone, SELF).confidence
    assert any("delegates to multus itself" in r for r in best.reasons)
    assert finding(with_config, DUP).confidence < finding(alone, DUP).confidence


def test_healthy_samples_give_no_finding() -> None:
    assert run(SAMPLES / "kubectl" / "describe_healthy.txt").findings == []


def _add(msg: str, line: int, sec: float = 0, pod: str = "old-1") -> Event:
    return Event(
        time=T0 + timedelta(seconds=sec),
        source="multus",
        format="test",
        kind="event:AddedInterface",
        namespace="lab",
        pod=pod,
        message=msg,
        file="describe.txt",
        line=line,
        raw=msg,
    )


def _exists(line: int, network: str, interface: str, sec: float = 1, nested: bool = False) -> Event:
    prefix = "[lab/old-1:multus-cni-network]: error adding container to network " if nested else ""
    inner = '"multus-cni-network": ' if nested else ""
    text = (
        f"{prefix}{inner}[lab/old-1:{network}]: error adding container to network "
        f'"{network}": DelegateAdd: cannot set "macvlan" interface name to "{interface}": '
        f"validateIfName: interface name {interface} already exists"
    )
    return Event(
        time=T0 + timedelta(seconds=sec),
        source="multus",
        format="test",
        kind="multus:error",
        level="error",
        namespace="lab",
        pod="old-1",
        message=text,
        error=text,
        file="multus.log",
        line=line,
        raw=text,
    )


def test_old_multus_without_network_names_reenters_with_the_same_address() -> None:
    same = diagnose(
        [
            _add("Add eth0 [10.42.0.9/24]", 1),
            _add("Add net1 [] from lab/macvlan-conf", 2),
            _add("Add eth0 [10.42.0.9/24]", 3),
            _exists(4, "macvlan-conf", "net1"),
        ]
    )
    retry = diagnose(
        [
            _add("Add eth0 [10.42.0.9/24]", 1),
            _add("Add net1 [] from lab/macvlan-conf", 2),
            _add("Add eth0 [10.42.0.10/24]", 3, sec=12),
        ]
    )
    assert same.top == SELF
    assert any("re-added through multus" in r for r in same[0].reasons)
    assert retry.findings == []  # a new address on a later retry is churn, not re-entry


def test_nested_failure_is_not_lowered_by_a_known_order_without_reentry() -> None:
    # the inner multus failed, so the outer never re-added eth0: absence of the re-add is expected
    events = [
        _add("Add eth0 [10.244.0.9/24] from cbr0", 1),
        _add("Add net1 [192.0.2.9/24] from lab/macvlan-conf", 2),
    ]
    ifname_only = Catalog((load_catalog().by_id("SELFDEL-IFNAME"),))
    nested = diagnose(
        [*events, _exists(3, "macvlan-conf", "net1", nested=True)], catalog=ifname_only
    )
    flat = diagnose([*events, _exists(3, "macvlan-conf", "net1")], catalog=ifname_only)
    assert nested[0].confidence >= 0.8
    assert not any("never came back" in r for r in nested[0].reasons)
    assert any("never came back" in r for r in flat[0].reasons)


def test_eth0_requested_by_a_nad_after_the_default_network_is_a_duplicate_request() -> None:
    diag = diagnose(
        [
            _add("Add eth0 [10.244.0.9/24] from cbr0", 1),
            _exists(2, "sriov-a", "eth0"),
        ]
    )
    assert diag.top == DUP
    assert diag[0].confidence >= 0.8
    assert finding(diag, SELF).confidence < 0.5


def _multus_add(network: str, interface: str, ips: str, line: int) -> Event:
    text = f"Add: lab:old-1:{network}({network}):{interface} {{}}"
    return Event(
        time=T0,
        source="multus",
        format="test",
        kind="multus:add",
        namespace="lab",
        pod="old-1",
        network=network,
        interface=interface,
        ips=ips,
        message=text,
        file="multus.log",
        line=line,
        raw=text,
    )


def test_default_network_is_learned_from_multus_add_lines_too() -> None:
    text = (
        '[lab/old-1:podnet]: error adding container to network "podnet": '
        "failed to add default route: file exists"
    )
    error = Event(
        time=T0 + timedelta(seconds=1),
        kind="multus:error",
        level="error",
        namespace="lab",
        pod="old-1",
        message=text,
        error=text,
        file="multus.log",
        line=9,
        raw=text,
    )
    alone = diagnose([error])
    with_order = diagnose([_multus_add("podnet", "eth0", "10.1.0.5/24", 1), error])
    reason = "the failing delegate is the default network"
    assert not any(reason in r for r in alone[0].reasons)
    assert any(reason in r for r in finding(with_order, alone.top).reasons)


@pytest.mark.parametrize("sample", ["seed", "dupname", "multus", "timeline"])
def test_a_predicate_domain_holds_every_position_where_the_predicate_holds(sample: str) -> None:
    """Rules requiring ``is_reentry_add`` are matched only inside its domain: the domain may
    hold more positions than the predicate, never fewer."""
    import regex

    from multus_forensics import parse
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.predicates import DOMAINS, PREDICATES, Hit

    frame = parse(SAMPLES / sample).to_polars()
    ctx = Context.of_frame(frame)
    rule = load_catalog().by_id("SELFDEL-REENTRY")
    match = regex.search("", "")
    assert match is not None
    holds = {v.index for v in ctx.views if PREDICATES["is_reentry_add"](ctx, Hit(rule, v, match))}
    assert holds <= DOMAINS["is_reentry_add"](ctx)
    if sample == "seed":
        assert holds, "the seed sample has a re-entry add"


def test_add_order_lookups_list_every_attempt_holding_an_event_in_attempt_order() -> None:
    """An event held by several attempts (a pod-level record beside two attempts) is listed
    under each, in attempt order, and its own-attempt answer keeps only known orders."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from multus_forensics.classify.addorder import AddOrder, AttemptOrder

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.frozensets(st.integers(0, 30), max_size=12), max_size=6), st.data())
    def check(members: list[frozenset[int]], data: st.DataObject) -> None:
        known = [data.draw(st.booleans()) for _ in members]
        attempts = tuple(
            AttemptOrder("ns/p", n, (object(),) if k else (), m)  # type: ignore[arg-type]
            for n, (m, k) in enumerate(zip(members, known, strict=True), start=1)
        )
        order = AddOrder(attempts)
        for i in range(31):
            holding = [a for a in attempts if i in a.members]
            assert list(order._by_event.get(i, ())) == holding
            assert order.own(i) == [a for a in holding if a.order_known]

    check()


_NESTED_TEXTS = [
    '[a/b:multus-cni-network]: error adding container to network "multus-cni-network": '
    '[a/b:nad0]: error adding container to network "nad0": boom',
    'error adding container to network "nad0": boom',
    'ERROR ADDING CONTAINER TO NETWORK "x": [a/b:n]: error adding\ncontainer to network "n"',
    "plain `text` **with** markdown",
    "non-ascii … error adding container to network",
    "",
]


@pytest.mark.parametrize("raw_ends", [True, False])
def test_nested_delegate_pretest_of_all_rows_is_each_views_own(raw_ends: bool) -> None:
    """The nested-delegate skeleton test made for every error row at once (a row whose message
    and error end its raw record tested in that record) answers as each view's own test."""
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.normalise import pattern_skeleton
    from multus_forensics.classify.predicates import _NESTED, MARKERS, _nested_possible
    from multus_forensics.classify.select import catalog_needles

    events = []
    for i, (error, message) in enumerate(
        (e, m) for e in _NESTED_TEXTS for m in (_NESTED_TEXTS[0], _NESTED_TEXTS[3], "")
    ):
        raw = f"2026-03-11T09:00:00Z [error] {message}" if raw_ends else f"{message} tail"
        events.append(
            Event(
                time=T0, kind="multus:error", level="error", message=message,
                error=error or None, raw=raw, file="multus.log", line=i + 1,
            )
        )  # fmt: skip
    ctx = Context.of_frame(Context.of(events).frame, catalog_needles(load_catalog().rules, MARKERS))
    possible = _nested_possible(ctx)
    assert possible, "no error row was tested"
    skeletons = (pattern_skeleton(_NESTED.pattern),)
    for pos, may in possible.items():
        assert may == ctx.view(pos).texts.may_hold(skeletons), ctx.view(pos).event
    assert any(possible.values())
    assert not all(possible.values())
