"""The compiled Multus log and logrus scanners against the careful paths, row for row.

Each input is parsed twice, by the scanner (``_runtimefast``) and with
``MULTUS_FORENSICS_NO_EXT=1`` (the careful polars/Python path), and the event frames, issues
and blank counts must be equal. Awkward lines are hand-picked (escapes, odd stamps, repeated
keys, results the scanner cannot check, continuations, foreign lines); generated files above
the fast-path threshold mix generated fields into every line shape both paths know.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.fast._bytevec import line_bounds
from multus_forensics.formats.runtime import _runtimefast, containerd
from multus_forensics.registry import get_format
from multus_forensics.timeutil import YearAnchor

rscan = pytest.importorskip("multus_forensics._rscan")

SID = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
RESULT = '{"cniVersion":"0.3.1","interfaces":[{"name":"net1"}],"ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}'
ARGS = (
    f'ContainerID:"{SID}" Netns:"/var/run/netns/x" IfName:"eth0" Args:"IgnoreUnknown=1;'
    f'K8S_POD_NAMESPACE=lab;K8S_POD_NAME=p-1;K8S_POD_INFRA_CONTAINER_ID={SID};K8S_POD_UID={UID}" Path:""'
)
MULTUS_MESSAGES = [
    f"Add: lab:p-1:{UID}:lab/macvlan(macvlan):net1 {RESULT}",
    f"Add: lab:p-1:unknownUID:(cbr0):eth0 {RESULT}",
    f'Add: lab:p-1:{UID}:cbr0(c"b\\r0):eth0 {{"ips":[{{"address":"a"}},{{"address":"b"}}]}}',
    f'Add: lab:p-1:{UID}:cbr0(cbr0):eth0 {{"a":1e5,"address":"x"}}',  # an exponent
    f'Add: lab:p-1:{UID}:cbr0(cbr0):eth0 {{"a":"\\u00e9","b":"\\"q\\" \\\\ \\/"}}',
    f'Add: lab:p-1:{UID}:cbr0(cbr0):eth0 {{"a":1,"a":2}}',
    f"Add: lab:p-1:{UID}:cbr0(cbr0):eth0 ",
    f"Add: lab:p-1:{UID}:cbr0(cbr0):eth0 not json at all",
    f"Add: lab:p-1:{UID}:cbr0(cbr0):eth0 null",
    f"Add: lab:p-1:{UID}:cbr0(cbr0):eth0 [1,2]",
    "Add: lab:p-1:macvlan:net1 {}",  # the old shape
    "Add: lab p-1",
    f'Del: lab:p-1:{UID}:macvlan:net1 {{"type":"macvlan","cniVersion":"0.3.1","ipam":{{"z":[1,true,null,{{}}],"a":-4}}}}',
    'Del: lab:p-1:unknownUID:macvlan:net1 {"x":1.5}',
    f'Del: lab:p-1:{UID}:macvlan:net1 {{"x":-0}}',
    f"Del: lab:p-1:{UID}:macvlan:net1 ",
    f"Del: lab:p-1:{UID}:macvlan:net1 plain text",
    f'Del: lab:p-1:{UID}:macvlan:net1 {{"k\\"ey":1}}',
    f'Del: lab:p-1:{UID}:macvlan:net1 ContainerID:"{SID}" {{}}',
    f"Del: lab:p-1:{UID}:macvlan:net1:x {{}}",
    f"ADD starting CNI request {ARGS}",
    f'ADD finished CNI request {ARGS}, result: "{RESULT.replace(chr(34), chr(92) + chr(34))}", err: <nil>',
    f'DEL finished CNI request {ARGS}, result: "", err: failed: [lab/p-1/{UID}:macvlan]: boom ',
    f'CHECK finished CNI request {ARGS}, result: "{{\\"ips\\":[{{\\"address\\":1}}]}}", err: <nil>',
    f'GC finished CNI request {ARGS}, result: "text", err: <nil>',
    f'ADD finished CNI request {ARGS}, result: "{{\\n\\"a\\": \\"\\\\u00e9\\"}}", err: <nil>',
    'STATUS starting CNI request ContainerID:"" Netns:"" K8S_POD_NAME=;K8S_POD_NAME=x',
    f"ADD starting CNI request &{{ContainerID:{SID} IfName:eth0 StdinData:[123 125]}}",
    "ADD starting CNI request nothing here ContainerID 1",
    f"ADD ContainerID:{SID} ERRORED: error configuring pod [lab/p-1] networking: x",
    f'[lab/p-1/{UID}:macvlan]: error adding container to network "macvlan": cannot set "macvlan" interface name to "net1": validateIfName: interface name net1 already exists',
    "warning: something odd",
    'Generated MultusCNI config: {"delegates":[{"type":"multus"}]}',
    "multus-daemon started",
    "Error at storage engine: Could not allocate IP in range",
    "getIfname: &{macvlan lab  [] [] [] map[]}, eth0, 1",
    "plain [x] message with [1] brackets",
    "h\u00e9llo",
    "tab\there",
    "",
]
MULTUS_STAMPS = [
    "2026-03-11T13:02:06Z",
    "2026-03-11T14:02:06+01:00",
    "2026-03-11T14:02:06+0100",
    "2026-02-30T14:02:06Z",
    "2026-03-11T24:02:06Z",
    "2026-03-11T13:02:06+25:00",
]
#: client-go's klog lines in a thick daemon's log: records of their own (tests/test_multus_klog.py)
KLOG_EVENT = (
    'I0311 13:02:06.545551    7342 event.go:364] Event(v1.ObjectReference{Kind:"Pod", '
    f'Namespace:"lab", Name:"p-1", UID:"{UID}", APIVersion:"v1", ResourceVersion:"4", '
    "FieldPath:\"\"}): type: 'Normal' reason: 'AddedInterface' Add net1 [10.1.2.3/24] from lab/macvlan"
)
MULTUS_OTHER = [
    "",
    "   ",
    "goroutine 1 [running]:",
    "\tmain.go:12",
    "2026-03-11T13:02:06Z [info] no",
    KLOG_EVENT,
    "W0311 13:02:07.000001    7342 reflector.go:462] watch of *v1.Pod ended with: too old",
    'E1231 23:59:59.999999    7342 leaderelection.go:1] "Failed to watch" err=<\n\tUnauthorized\n >',
    '  "note": "I0311 13:02:06.545551    7342 event.go:364] inside a continuation",',
]
LOGRUS_MESSAGES = [
    ('"RunPodSandbox for &PodSandboxMetadata{Name:p-1,Uid:u,Namespace:lab,Attempt:007,}"', ""),
    (
        f'"RunPodSandbox for &PodSandboxMetadata{{Name:p,Uid:u,Namespace:n,Attempt:1,}} returns sandbox id \\"{SID}\\""',
        "",
    ),
    (
        '"RunPodSandbox for &PodSandboxMetadata{Name:p,Uid:u,Namespace:n,Attempt:1,} failed, error"',
        f' error="failed to setup network for sandbox \\"{SID}\\": [lab/p-1/{UID}:macvlan]: boom"',
    ),
    (
        '"RunPodSandbox for &PodSandboxMetadata{Name:p,Uid:u,Namespace:n,Attempt:99999999999999999999,}"',
        "",
    ),
    (f'"StopPodSandbox for \\"{SID}\\""', ""),
    (f'"StopPodSandbox for \\"{SID}\\" failed"', ' error="failed to destroy network"'),
    (f'"StopPodSandbox for \\"{SID[:10]}\\" returns successfully"', ""),
    ('"StopPodSandbox for \\"xyz\\""', ""),
    (f'"TearDown network for sandbox \\"{SID}\\" successfully"', ""),
    (f'"Failed to destroy network for sandbox \\\\\\"{SID}\\""', ""),
    (
        f'"CreateContainer within sandbox \\"{SID}\\" for container &ContainerMetadata{{Name:app,}}"',
        "",
    ),
    (f'"RemovePodSandbox \\"{SID}\\" returns successfully"', " b=2 a=1 a=3"),
    (f'"Found sandbox container \\"{SID}\\""', ' k="v w"'),
    ('"Adding pod lab_p-1 to CNI network \\"multus-cni-network\\" (type=multus)"', ""),
    (f'"failed to create pod network sandbox k8s_p-1_lab_{UID}_0({SID})"', ""),
    ('"cni config load failed: no network config found"', ""),
    ('"shim disconnected"', f" id={SID} namespace=k8s.io"),
    ('"esc \\\\ \\t \\n \\a \\v \\f \\r \\\' \\q"', ' path="/a\\\\b" x=1 y="\\"q\\""'),
    ('"hex \\x41 and \\u00e9 and \\101"', ""),
    ("bare", " k=v"),
    ('"unclosed', " k=v"),
    ('""', ""),
    ("", ' error=""'),
    ('"m"', " error=bare k=v"),
    ('"m"', ' k="a error=b" z=1'),
    ('"m"', ' error="x" k=v error="y"'),
    ('"m"', " k=v  j=w "),
    ('"m"', ' k="unclosed j=w'),
    ('"m"', " @=1 k= =v k"),
    ('"h\u00e9llo"', ""),
]
LOGRUS_STAMPS = [
    "2026-03-11T13:02:05.118204331Z",
    "2026-03-11T14:02:05.1+01:00",
    "2026-03-11T13:02:05Z",
    "2026-03-11T13:02:05.1234567891Z",
]
LOGRUS_LEVELS = ["info", "error", "warning", "warn", "trace", "panic", "fatal", "debug", "odd"]
LOGRUS_OTHER = [
    "",
    "  ",
    '{"level":"error","msg":"StopPodSandbox for \\"x\\" failed","time":"2026-03-11T13:00:00Z","error":"e"}',
    "2026-03-11T13:02:06Z [error] [lab/p-1:macvlan]: boom",
    "2019-01-22 04:11:17.883 [INFO][6153] utils.go 545: calico",
    "I0311 13:02:07.418552    1902 x.go:1] plugin klog",
    "random words",
]  # a stamp the byte reader does not take sends its whole chunk to the careful path: see below


@contextmanager
def _careful(on: bool) -> Iterator[None]:
    old = os.environ.get("MULTUS_FORENSICS_NO_EXT")
    os.environ["MULTUS_FORENSICS_NO_EXT"] = "1" if on else "0"
    try:
        yield
    finally:
        if old is None:
            del os.environ["MULTUS_FORENSICS_NO_EXT"]
        else:
            os.environ["MULTUS_FORENSICS_NO_EXT"] = old


def _parse(fmt_name: str, file: str, text: str, careful: bool) -> ParseOutput:
    ctx = ParseContext(YearAnchor(year=2026, source="argument"))
    src = TextSource(file, data=text.encode("utf-8"))
    with _careful(careful):
        assert (_runtimefast.scanner(src) is None) == (
            careful or src.line_count < _runtimefast.FAST_MIN_LINES
        )
        return get_format(fmt_name).parse(src, ctx)


def assert_same(fmt_name: str, file: str, text: str) -> None:
    fast = _parse(fmt_name, file, text, careful=False)
    careful = _parse(fmt_name, file, text, careful=True)
    assert_frame_equal(fast.events, careful.events)
    assert fast.issues == careful.issues
    assert fast.blank_lines == careful.blank_lines


def _multus_text(rng: random.Random, n: int) -> str:
    lines = []
    for _ in range(n):
        if rng.random() < 0.1:
            lines.append(rng.choice(MULTUS_OTHER))
            continue
        level = rng.choice(("verbose", "error", "debug", "panic"))
        lines.append(f"{rng.choice(MULTUS_STAMPS)} [{level}] {rng.choice(MULTUS_MESSAGES)}")
    return "\n".join(lines) + "\n"


def _logrus_text(rng: random.Random, n: int) -> str:
    lines = []
    for _ in range(n):
        if rng.random() < 0.1:
            lines.append(rng.choice(LOGRUS_OTHER))
            continue
        msg, rest = rng.choice(LOGRUS_MESSAGES)
        stamp = rng.choice(LOGRUS_STAMPS[:3])
        lines.append(f'time="{stamp}" level={rng.choice(LOGRUS_LEVELS)} msg={msg}{rest}')
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_files_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file takes the fast path (the awkward inputs are small)."""
    monkeypatch.setattr(_runtimefast, "FAST_MIN_LINES", 1)


@pytest.mark.usefixtures("small_files_fast")
@pytest.mark.parametrize("seed", range(4))
def test_multus_awkward_lines_agree_with_the_careful_path(seed: int) -> None:
    assert_same("multus-log", "multus.log", _multus_text(random.Random(seed), 400))


@pytest.mark.usefixtures("small_files_fast")
@pytest.mark.parametrize("stamp", MULTUS_STAMPS)
def test_multus_every_awkward_message_under_every_stamp_agrees(stamp: str) -> None:
    text = "".join(
        f"{stamp} [{lvl}] {m}\n" for m in MULTUS_MESSAGES for lvl in ("verbose", "error")
    )
    assert_same("multus-log", "multus.log", text)


@pytest.mark.parametrize("seed", range(3))
def test_a_thick_daemon_log_with_klog_lines_agrees_with_the_careful_path(seed: int) -> None:
    """klog lines first, between one-line and multi-line records, at the end, in a file
    above the fast-path threshold (the fast path hands them, and the record before them, over)."""
    rng = random.Random(seed)
    lines = _multus_text(rng, _runtimefast.FAST_MIN_LINES).splitlines()
    for _ in range(40):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(MULTUS_OTHER[5:]))
    text = "\n".join([KLOG_EVENT, *lines, KLOG_EVENT]) + "\n"
    assert_same("multus-log", "multus.log", text)
    events = _parse("multus-log", "multus.log", text, careful=False).events
    assert (events["kind"] == "event:AddedInterface").sum() >= 2


@pytest.mark.usefixtures("small_files_fast")
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("fmt", "file"), [("containerd", "containerd.log"), ("crio", "crio.log")])
def test_logrus_awkward_lines_agree_with_the_careful_path(seed: int, fmt: str, file: str) -> None:
    assert_same(fmt, file, _logrus_text(random.Random(seed), 400))


@pytest.mark.usefixtures("small_files_fast")
@pytest.mark.parametrize("stamp", LOGRUS_STAMPS)
def test_logrus_every_awkward_line_under_every_stamp_agrees(stamp: str) -> None:
    text = "".join(f'time="{stamp}" level=info msg={m}{r}\n' for m, r in LOGRUS_MESSAGES)
    assert_same("containerd", "containerd.log", text)


@pytest.mark.usefixtures("small_files_fast")
def test_a_logrus_chunk_with_an_unreadable_stamp_is_read_whole_by_the_careful_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zoneless = 'time="2026-03-11 13:02:05.118204331" level=info msg="CRI-O"\n'
    good = 'time="2026-03-11T13:02:05.1Z" level=info msg="containerd"\n'
    assert_same("containerd", "containerd.log", zoneless + good * 5)
    assert_same("containerd", "containerd.log", good * 5 + zoneless)
    # scanned in chunks of 4 lines, read by the careful path in chunks of 8
    monkeypatch.setattr(_runtimefast, "SCAN_ROWS", 4)
    monkeypatch.setattr(containerd, "CHUNK_ROWS", 8)
    text = _logrus_text(random.Random(5), 40).splitlines(keepends=True)
    text[13:13] = [zoneless]
    text[30:30] = ['time="2026-03-11T13:02" level=info msg="short stamp"\n']
    assert_same("containerd", "containerd.log", "".join(text))


@pytest.mark.usefixtures("small_files_fast")
@pytest.mark.parametrize("seed", range(3))
def test_records_across_scanned_chunks_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_runtimefast, "SCAN_ROWS", 5)
    assert_same("multus-log", "multus.log", _multus_text(random.Random(seed), 200))
    assert_same("containerd", "containerd.log", _logrus_text(random.Random(seed), 200))


_FIELD = st.text(st.sampled_from('ab:/"\\= {}[],.-_0é\t'), max_size=12)


@st.composite
def _multus_file(draw: st.DrawFn) -> str:
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = _multus_text(rng, _runtimefast.FAST_MIN_LINES).splitlines()
    for _ in range(draw(st.integers(0, 30))):  # generated fields inside known shapes
        a, b, c = draw(_FIELD), draw(_FIELD), draw(_FIELD)
        shape = draw(st.sampled_from([
            f"Add: {a}:{b}:{UID}:{c}({a}):net1 {{\"ips\":[{{\"address\":\"{b}\"}}],\"k\":\"{c}\"}}",
            f"Del: {a}:{b}:u:{c}:net1 {{\"{a}\":\"{b}\",\"z\":[{c}]}}",
            f'ADD finished CNI request ContainerID:"{a}" Args:"K8S_POD_NAME={b}" , result: "{c}", err: {a}',
            f"[{a}/{b}:{c}]: error adding container to network \"{c}\"",
        ]))  # fmt: skip
        at = draw(st.integers(0, len(lines)))
        lines.insert(
            at, f"2026-03-11T13:02:06Z [{draw(st.sampled_from(['verbose', 'error']))}] {shape}"
        )
    return "\n".join(lines) + "\n"


@st.composite
def _logrus_file(draw: st.DrawFn) -> str:
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = _logrus_text(rng, _runtimefast.FAST_MIN_LINES).splitlines()
    for _ in range(draw(st.integers(0, 30))):
        a, b, c = draw(_FIELD), draw(_FIELD), draw(_FIELD)
        quoted = a.replace("\\", "\\\\").replace('"', '\\"')
        shape = draw(st.sampled_from([
            f'msg="{quoted}" {b}={c}',
            f'msg="{quoted} sandbox" error="{quoted}" {a}={b}',
            f"msg={a} k={b} error={c}",
            f'msg="RunPodSandbox for &PodSandboxMetadata{{Name:{b},Uid:u,Namespace:{c},Attempt:1,}}"',
        ]))  # fmt: skip
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, f'time="2026-03-11T13:02:05.1Z" level=info {shape}')
    return "\n".join(lines) + "\n"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_multus_file())
def test_generated_multus_files_above_the_threshold_agree(text: str) -> None:
    assert_same("multus-log", "multus.log", text)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logrus_file())
def test_generated_logrus_files_above_the_threshold_agree(text: str) -> None:
    assert_same("containerd", "containerd.log", text)


def test_the_scanners_finish_the_common_lines_themselves() -> None:
    """The shapes a busy log is made of never go to the careful path (the speed depends on it)."""
    stamp = "2026-03-11T13:02:06Z"
    multus = [
        f"{stamp} [verbose] {MULTUS_MESSAGES[0]}",
        f"{stamp} [verbose] {MULTUS_MESSAGES[12]}",
        f"{stamp} [verbose] {MULTUS_MESSAGES[20]}",
        f"{stamp} [verbose] {MULTUS_MESSAGES[21]}",
        f"{stamp} [error] {MULTUS_MESSAGES[30]}",
    ]
    logrus = [f'time="{LOGRUS_STAMPS[0]}" level=info msg={m}{r}' for m, r in LOGRUS_MESSAGES[:3]]
    for fn, lines in ((rscan.multus, multus), (rscan.logrus, logrus)):
        data = ("\n".join(lines) + "\n").encode()
        starts, ends = line_bounds(np.frombuffer(data, dtype=np.uint8))
        slow, m, *_ = fn(data, starts, ends - starts, 0, len(starts))
        assert m == len(lines)
        assert not any(slow)
    # Del: and request lines need no Python classifier either; errors do
    data = ("\n".join(multus) + "\n").encode()
    starts, ends = line_bounds(np.frombuffer(data, dtype=np.uint8))
    trig = np.frombuffer(rscan.multus(data, starts, ends - starts, 0, 5)[3], dtype=np.uint8)
    assert trig.tolist() == [0, 0, 0, 0, 1]


def test_the_careful_path_runs_without_the_extension_or_when_told() -> None:
    src = TextSource("multus.log", data=b"2026-03-11T13:02:06Z [verbose] x\n" * 3000)
    with _careful(True):
        assert _runtimefast.scanner(src) is None
    with _careful(False):
        assert _runtimefast.scanner(src) is not None
