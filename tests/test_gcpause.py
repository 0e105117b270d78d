"""The analysis pauses cyclic garbage collection only for its own duration."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from multus_forensics.gcpause import gc_paused


@pytest.fixture(autouse=True)
def _restore_gc() -> object:
    was = gc.isenabled()
    yield None
    gc.enable() if was else gc.disable()


def test_collection_is_off_inside_and_back_on_after() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_is_restored_when_the_block_raises() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="boom"), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_nested_pause_does_not_reenable_early() -> None:
    gc.enable()
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_caller_that_disabled_collection_keeps_it_disabled() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_diagnose_and_timelines_leave_collection_as_found(tmp_path: Path) -> None:
    import multus_forensics as mf

    log = tmp_path / "kubelet.log"
    log.write_text(
        'E0311 10:00:00.000001    2231 remote_runtime.go:193] "RunPodSandbox from runtime '
        'service failed" err="rpc error: code = Unknown desc = failed to setup network for '
        'sandbox \\"abc\\": plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed '
        '(add): [ns/pod/uid:net1]: error adding container to network \\"net1\\": failed to '
        'find plugin \\"sriov\\" in path [/opt/cni/bin]"\n'
    )
    frame = mf.parse(log).to_polars()
    gc.enable()
    assert mf.diagnose(frame).findings
    assert gc.isenabled()
    mf.build_timelines(frame).attempts()
    assert gc.isenabled()
