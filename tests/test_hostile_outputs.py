"""Fault injection on the write path and in what is shown: symlinks planted in the output,
concurrent runs, reports inside their input, control characters from logs (issue 13)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from hostile_inputs import cli, escape_log, log_lines

from multus_forensics.atomic import LOCK_NAME, output_lock, write_atomic
from multus_forensics.cli import main
from multus_forensics.errors import InputError
from multus_forensics.report.writer import MANIFEST


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under ``root``: what a run may not change outside -o."""
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if not p.is_dir() or p.is_symlink()
    }


def outside(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], out: str
) -> set[str]:
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return {k for k in changed if not k.startswith(out + "/") and k != out}


def test_a_symlink_planted_at_the_report_is_replaced_not_followed(tmp_path: Path) -> None:
    log = tmp_path / "kubelet.log"
    log.write_bytes(log_lines(5))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").symlink_to(victim)
    before = tree(tmp_path)
    assert main(["report", str(log), "-o", str(out), "-f", "json", "-q"]) == 0
    assert victim.read_text() == "precious\n"
    assert not (out / "report.json").is_symlink()
    assert outside(before, tree(tmp_path), "out") == set()
    # no temp or lock left: the report and the manifest of what this run wrote
    assert sorted(p.name for p in out.iterdir()) == sorted(["report.json", MANIFEST])


def test_a_symlinked_sub_folder_in_the_output_is_refused(tmp_path: Path) -> None:
    logs = [tmp_path / f"node{i}.tar" for i in range(2)]
    for path in logs:
        with tarfile.open(path, "w") as tf:
            data = log_lines(3)
            info = tarfile.TarInfo("kubelet.log")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "inputs").symlink_to(elsewhere)
    code = main(["report", *map(str, logs), "-o", str(out), "-f", "md", "-q", "-j", "1"])
    assert code == 1
    assert list(elsewhere.iterdir()) == []


def test_a_second_run_into_a_folder_in_use_fails_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "kubelet.log"
    log.write_bytes(log_lines(5))
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        run = cli("report", str(log), "-o", str(out), "-f", "md", "-q", timeout=120)
        assert run.returncode == 1
        assert run.stderr.splitlines() == [
            f"multus-forensics: error: another run is writing into {out} (it holds "
            f"{out / LOCK_NAME}); wait for it or choose another output folder"
        ]
        assert not (out / "report.md").exists()
    assert main(["report", str(log), "-o", str(out), "-f", "md", "-q"]) == 0
    capsys.readouterr()


def test_a_report_inside_its_input_folder_never_reads_its_own_output(tmp_path: Path) -> None:
    (tmp_path / "kubelet.log").write_bytes(log_lines(20))
    out = tmp_path / "report"
    sizes = []
    for _ in range(3):
        assert main(["report", str(tmp_path), "-o", str(out), "-f", "json", "-q"]) == 0
        sizes.append((out / "report.json").stat().st_size)
    assert sizes[0] == sizes[1] == sizes[2]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    target.write_text("old\n")

    def half_then_fail(path: str) -> None:
        Path(path).write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="No space left on device"):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["events.csv"]


def test_control_characters_from_logs_are_visible_in_every_text_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = escape_log(tmp_path / "kubelet.log")
    bundle = tmp_path / "bundle.tar"
    with tarfile.open(bundle, "w") as tf:  # a member name with an escape reaches stderr
        info = tarfile.TarInfo("evil\x1b]0;owned\x07.gz")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"\x1f\x8bxx"))
    raw = ("\x1b", "\x07", "\r")
    outputs = []
    main(["diagnose", "--year", "2026", str(log)])
    outputs.append(capsys.readouterr().out)
    main(["timeline", "--year", "2026", str(log)])
    outputs.append(capsys.readouterr().out)
    for fmt in ("md", "html"):
        out = tmp_path / fmt
        title = "node \x1b[2J\x1b]0;x\x07 report"
        main(["report", str(log), "-o", str(out), "--format", fmt, "-q", "--title", title])
        outputs.append((out / f"report.{fmt}").read_text())
        capsys.readouterr()
    main(["parse", str(bundle)])
    outputs.append(capsys.readouterr().err)
    for text in outputs:
        assert not any(c in text for c in raw), text[:300]
        assert "\\x1b" in text


def test_json_keeps_the_text_but_escapes_what_a_terminal_would_act_on() -> None:
    import json

    from multus_forensics.visible import json_visible, visible

    value = {"msg": "a\x9b2Jb\u202ec\x1bd\x7f"}
    text = json_visible(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not any(c in text for c in "\x9b\u202e\x1b\x7f")
    assert visible("x\x1b[31my\tz\n") == "x\\x1b[31my\tz\n"
    assert visible("x\ty\n", layout=False) == "x\\x09y\\x0a"


def test_an_output_folder_named_through_a_symlink_is_written_inside_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "kubelet.log"
    log.write_bytes(log_lines(5))
    (tmp_path / "disk").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "disk")
    assert main(["report", str(log), "-o", str(tmp_path / "reports"), "-f", "md", "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "disk").iterdir()) == sorted(["report.md", MANIFEST])
    capsys.readouterr()


def test_a_planted_manifest_cannot_make_report_delete_files_outside_its_sub_reports(
    tmp_path: Path,
) -> None:
    log = tmp_path / "kubelet.log"
    log.write_text(
        'E0311 13:02:05.100000    2231 pod_workers.go:1301] "Error syncing pod, skipping" '
        'err="failed to find plugin \\"macvlan\\" in path [/opt/cni/bin]"\n',
        encoding="utf-8",
    )
    victim = tmp_path / "precious.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    names = [str(victim), "../precious.txt", "inputs/../../precious.txt", "report.json"]
    (out / MANIFEST).write_text(json.dumps({"files": names}), encoding="utf-8")
    assert main(["report", str(log), "-o", str(out), "-f", "md", "-q"]) == 0
    assert victim.read_text(encoding="utf-8") == "precious\n"
