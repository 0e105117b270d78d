"""A shape of an error text peels as the text does: every layer kind, every field name, and
every value that holds no placeholder (so the facts read from a shape are the text's own)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from multus_forensics import _chain_shape
from multus_forensics.chain import (
    ErrorChain,
    _unwrap,
    prime_shapes,
    shaped_facts,
    shared_chains,
    unwrap_error,
)

KEYS = (
    "sandbox_id",
    "plugin_type",
    "plugin_name",
    "network",
    "attachment",
    "interface",
    "op",
    "namespace",
    "pod",
    "pod_uid",
    "grpc_code",
    "function",
    "runtime",
    "status",
    "attempt",
    "action",
    "master",
    "range",
)

DATA = Path(__file__).parent / "data"


def _shapes(texts: list[str]) -> list[str | None]:
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    return frame.select(_chain_shape.shapes(pl.col("t"))).to_series().to_list()


def _agree(shape: ErrorChain, chain: ErrorChain) -> None:
    """Same layers and fields; equal values wherever the shape's holds no placeholder."""
    assert shape.truncated == chain.truncated
    assert [x.kind for x in shape.layers] == [x.kind for x in chain.layers]
    for a, b in zip(shape.layers, chain.layers, strict=True):
        assert a.fields.keys() == b.fields.keys()
        for value, own in [(a.text, b.text), *((a.fields[k], b.fields[k]) for k in a.fields)]:
            if not _chain_shape.marked(value):
                assert value == own
    assert len(shape.aggregate) == len(chain.aggregate)
    for a_member, b_member in zip(shape.aggregate, chain.aggregate, strict=True):
        _agree(a_member, b_member)


def _check(texts: list[str]) -> int:
    """Compare every shaped text's shape chain and facts with its own chain; how many were."""
    shaped = 0
    with shared_chains():
        prime_shapes(pl.Series(texts, dtype=pl.String))
        for text, shape in zip(texts, _shapes(texts), strict=True):
            if shape is None or shape == text:
                continue
            shaped += 1
            chain = unwrap_error(text)
            _agree(_unwrap(shape, 0), chain)
            facts = shaped_facts(text)
            assert facts is not None
            assert facts.leaf == chain.leaf
            assert facts.op == chain.op
            for key in KEYS:
                assert facts.get(key) == chain.get(key), key
                assert facts.innermost(key) == chain.innermost(key), key
    return shaped


def _logged_texts() -> list[str]:
    """Every line of the committed real excerpts, samples and corpus logs, and the error each
    names after ``err=``, as logged (quoted levels and all)."""
    texts: list[str] = []
    for base in (DATA / "real", DATA.parent.parent / "sample_logs"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix not in (".gz", ".tgz", ".tar", ".zip", ".xz"):
                for line in path.read_text(errors="replace").splitlines():
                    texts.append(line)
                    if 'err="' in line:
                        texts.append(line.split('err="', 1)[1])
    for row in map(json.loads, (DATA / "corpus_dev.jsonl").read_text().splitlines()):
        texts.extend(row["log"].splitlines())
    return [t for t in dict.fromkeys(texts) if t]


def test_every_sample_and_corpus_text_peels_as_its_shape() -> None:
    assert _check(_logged_texts()) > 100


SB = "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

_hex = st.text("0123456789abcdef", min_size=64, max_size=64)
_uid = st.builds(
    lambda h: f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
    st.text("0123456789abcdef", min_size=32, max_size=32),
)
#: names as pods, namespaces, networks and plugins are named, and words the table reads
_name = st.sampled_from(
    ["ns2", "app983-6007a37cec-dcb16", "vlan", "macvlan-1", "a", "kube-system", "x.y", "0abc"]
)
_token = st.one_of(_hex, _uid, st.just("1234567890123"), st.just(SB), _name)
_glue = st.sampled_from(
    [
        "rpc error: code = Unknown desc = ",
        'failed to setup network for sandbox "',
        'failed to destroy network for sandbox "',
        '": ',
        'plugin type="multus" name="multus-cni-network" failed (add): ',
        "[",
        "/",
        ":",
        "]: ",
        'error adding container to network "',
        "Multus: [",
        "Err adding pod to network ",
        'DelegateAdd: cannot set "macvlan" interface name to "',
        "validateIfName: interface name ",
        " already exists",
        "failed to create ",
        "failed to find plugin ",
        "Error syncing pod ",
        ' ("',
        "_ns(",
        ')"), skipping: ',
        "failed to allocate for range ",
        "CNI request failed with status 400: '",
        '\\"',
        "\\x66",
        "-",
        "_",
        " ",
        ", ",
        "...",
        "…",
        "errors: ",
        " / ",
        "k8s_",
        "_0(",
        "): ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_glue, _token, _glue).map("".join), min_size=1, max_size=6).map("".join))
def test_generated_chains_peel_as_their_shapes(text: str) -> None:
    _check([text])


def test_a_retried_failure_shares_one_shape_and_keeps_its_own_facts() -> None:
    texts = [
        f'rpc error: code = Unknown desc = failed to setup network for sandbox "{sb}": plugin '
        f'type="multus" name="multus-cni-network" failed (add): [ns{i}/app{i}-5c7d9f8b6-zx2lp/'
        f"0b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6{i}:net0]: error adding container to network "
        '"net0": failed to find plugin "sriov" in path [/opt/cni/bin]'
        for i, sb in enumerate((SB, SB[::-1], "a" * 64, "0" * 63 + "a"))
    ]
    shapes = _shapes(texts)
    assert len(set(shapes[:2])) == 1
    assert None not in shapes
    assert _check(texts) == len(texts)
    with shared_chains():
        prime_shapes(pl.Series(texts))
        facts = [shaped_facts(t) for t in texts]
        assert [f.get("network") if f else None for f in facts] == ["net0"] * 4
        assert [f.get("pod") if f else None for f in facts] == [
            f"app{i}-5c7d9f8b6-zx2lp" for i in range(4)
        ]


def test_texts_a_digit_class_or_an_escape_could_read_differently_are_not_shaped() -> None:
    digits = 'failed to allocate for range 123456789012: "x"'
    escaped = f'failed to setup network for sandbox "{SB}": \\x66oo'
    assert _shapes([digits, escaped]) == [None, None]
