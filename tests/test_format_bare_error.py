"""Bare pasted error lines: sniffing as the fallback, unquoting, identities only when named."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.bare_error import HEADERISH, BareError, unquote
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.ingest.paste import strip_paste_decoration
from multus_forensics.model import Event, frame_to_events
from multus_forensics.registry import sniff_scores

OWN = sorted((SAMPLES / "paste").glob("bare_*.txt"))
OTHERS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.is_file() and p.suffix != ".md" and p not in OWN and p.stat().st_size < 5_000_000
)
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
SB = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"


def _events(text: str) -> list[Event]:
    out = BareError().parse(TextSource("paste.txt", text), ParseContext())
    return frame_to_events(out.events)


def _sniff(*lines: str) -> float:
    return BareError().sniff(list(lines))


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_sample_matches_golden(path: Path, regen_golden: bool) -> None:
    log = mf.parse(str(path))
    assert log.issues == []
    assert log.stats.files[0].format == "bare-error"
    check_golden("paste_" + path.stem, log.to_polars(), regen_golden)


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_own_samples_sniff_at_least_half(path: Path) -> None:
    assert BareError().sniff(TextSource(str(path), path.read_text()).head()) >= 0.5


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_other_formats_samples_never_fall_back_to_bare_error(path: Path) -> None:
    src = TextSource(str(path), path.read_bytes().decode("utf-8", errors="replace"))
    head = strip_paste_decoration(src)[0].head()  # what the pipeline sniffs
    score = BareError().sniff(head)
    if any(HEADERISH.match(line) for line in head):
        assert score < 0.3
    best_other = max(s for s, name in sniff_scores(head) if name != "bare-error")
    assert score < 0.3 or score < best_other


@pytest.mark.parametrize(
    "line",
    [
        'E0311 13:02:07.418552    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err="a: b: failed"',
        "Mar 11 13:02:07 edge-node-2 kubelet[2231]: E0311 failed: to: x",
        "2026-03-11T13:02:06Z [error] [lab/probe/uid:net]: error adding container to network: failed",
        'time="2026-03-11T13:02:07.417980112Z" level=error msg="failed: x: y"',
        '{"ts":1773234127418.552,"msg":"failed: x: y"}',
        "  Warning  FailedCreatePodSandBox  3m (x4 over 5m)  kubelet  Failed to create pod sandbox: a: b",
        "3m12s       Warning   FailedCreatePodSandBox   pod/probe   Failed to create pod sandbox: a: b",
        "FATA[0000] run pod sandbox: rpc error: code = Unknown desc = failed: x",
    ],
)
def test_lines_with_a_real_header_sniff_low(line: str) -> None:
    assert _sniff(line, "failed to find plugin: x: y") < 0.3


@pytest.mark.parametrize(
    "line",
    [
        f"Multus: [lab/probe-6d8f9c7b54-qwz4n/{UID}]: error getting pod: Unauthorized",
        'failed to find plugin "macvlan" in path [/opt/cni/bin]',
        'error adding container to network "vlan100": failed to lookup master "ens4": Link not found',
        "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
    ],
)
def test_go_error_chains_sniff_at_least_half(line: str) -> None:
    assert _sniff(line) >= 0.5


def test_prose_sniffs_below_threshold() -> None:
    assert _sniff("Hi team, the pod below never starts", "Any idea what to check next?") < 0.3


def test_quoting_is_undone_level_by_level() -> None:
    assert unquote('sandbox \\"abc\\": type=\\"multus\\"') == 'sandbox "abc": type="multus"'
    assert unquote('with CreatePodSandboxError: "for pod \\"p\\": x=\\\\\\"y\\\\\\""') == (
        'with CreatePodSandboxError: "for pod "p": x="y""'
    )
    assert unquote('"failed to \\"x\\""') == 'failed to "x"'
    assert unquote("no quotes: C:\\\\path") == "no quotes: C:\\\\path"


def test_multus_prefix_sets_source_and_identity() -> None:
    (event,) = _events(
        f"Multus: [lab/probe-6d8f9c7b54-qwz4n/{UID}]: error getting pod: Unauthorized\n"
    )
    assert (event.source, event.kind, event.level, event.time) == (
        "multus",
        "error:line",
        "error",
        None,
    )
    assert (event.namespace, event.pod, event.pod_uid, event.network) == (
        "lab",
        "probe-6d8f9c7b54-qwz4n",
        UID,
        None,
    )


def test_multus_text_inside_an_outer_layer_is_not_a_multus_line() -> None:
    (event,) = _events(
        'Unknown desc = NetworkPlugin cni failed to set up pod "web_lab" network: Multus: '
        'error in invoke Delegate add - "macvlan": missing network name'
    )
    assert event.source == "unknown"
    assert (event.namespace, event.pod, event.pod_uid, event.sandbox_id) == (None, None, None, None)


def test_no_identity_is_invented() -> None:
    (event,) = _events('failed to find plugin "macvlan" in path [/opt/cni/bin]')
    assert event.error == 'failed to find plugin "macvlan" in path [/opt/cni/bin]'
    named = (event.namespace, event.pod, event.pod_uid, event.sandbox_id, event.network, event.node)
    assert named == (None,) * 6


def test_identities_named_by_kubelet_and_runtime_shapes() -> None:
    line = (
        f'failed to "CreatePodSandbox" for "probe-6d8f9c7b54-qwz4n_lab({UID})" with '
        f'CreatePodSandboxError: "Failed to create sandbox: failed to setup network for sandbox '
        f'\\"{SB}\\": [lab/probe-6d8f9c7b54-qwz4n:vlan100]: error adding container to network '
        '\\"vlan100\\": Link not found"'
    )
    (event,) = _events(line)
    assert (event.namespace, event.pod, event.pod_uid) == ("lab", "probe-6d8f9c7b54-qwz4n", UID)
    assert (event.sandbox_id, event.network) == (SB, "vlan100")
    assert f'sandbox "{SB}"' in (event.error or "")
    assert event.message == line


def test_each_line_is_an_event_blank_lines_consumed_and_closing_body_joined() -> None:
    text = (
        "\n"
        "error one: failed: x\n"
        "   \n"
        "CmdAdd (shim): CNI request failed with status 400: 'boom: device busy\n"
        '\': StdinData: {"type":"multus-shim"}\n'
        "the cluster was upgraded yesterday\n"
    )
    out = BareError().parse(TextSource("paste.txt", text), ParseContext())
    events = frame_to_events(out.events)
    assert out.blank_lines == 2
    assert [(e.line, e.nlines) for e in events] == [(2, 1), (4, 2), (6, 1)]
    assert events[1].error is not None
    assert events[1].error.endswith('\': StdinData: {"type":"multus-shim"}')
    assert (events[2].kind, events[2].level, events[2].error) == ("log", "info", None)
    assert sum(e.nlines for e in events) + out.blank_lines == len(text.splitlines())
