"""File-name lookups of the registry: the combined patterns answer as the per-format globs do."""

from __future__ import annotations

import fnmatch
import random

import pytest

from multus_forensics import registry


def _names(rng: random.Random) -> list[str]:
    """Every format's globs filled in at random, under random folders, and names no glob fits."""
    fills = ("", "x", "kubelet", "1", "2026-03-11", "multus", "a.b", "events")
    out = []
    for fmt in registry.all_formats():
        for glob in fmt.filename_globs:
            for _ in range(6):
                name = "".join(rng.choice(fills) if c in "*?" else c for c in glob)
                name = name.replace("[0-9]", str(rng.randrange(10)))
                folder = rng.choice(("", "node/", "/var/log/", "must-gather/host_service_logs/"))
                out.append(folder + name)
    out += ["zzz.txt", "kubelet.1.log.journal", "e2e-events_1.txt", "notes", "a/b/c.log"]
    return out


def test_by_filename_and_sole_named_answer_as_each_formats_globs() -> None:
    names = _names(random.Random(3))
    several = 0
    for name in names:
        base = name.rsplit("/", 1)[-1]
        expected = [
            f.name
            for f in registry.all_formats()
            if any(fnmatch.fnmatch(base, g) or fnmatch.fnmatch(name, g) for g in f.filename_globs)
        ]
        assert [f.name for f in registry.by_filename(name)] == expected, name
        assert registry.sole_named(name) == (expected[0] if len(expected) == 1 else None), name
        several += len(expected) > 1
    assert several  # names several formats' globs fit were among them


def test_sole_named_many_answers_as_sole_named_one_by_one() -> None:
    names = _names(random.Random(5))
    names += [
        "kubelet.log.d/notes.txt",  # a folder the klog glob fits, as a full path
        "a/b/messages\nx",  # a newline: '*' and '?' match it as fnmatch's do
        "nodes/w1/Kubelet.LOG",  # case matters on POSIX
        "logs/journal-ü.log",  # non-ASCII
        "x/00-multus.conf",
        "x/0a-multus.conf",
        "",
    ]
    assert registry.sole_named_many(names) == [registry.sole_named(n) for n in names]


@pytest.mark.parametrize("python_shapes", [0, 10_000], ids=["shapes-in-rust", "shapes-in-re"])
def test_numbered_names_matched_by_shape_answer_as_one_by_one(
    python_shapes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of numbered files: formats whose globs hold no digit or class are matched once
    per shape (digits read as 0), by one Rust regex per format or by :mod:`re` shape by shape;
    names where the digits matter (``e2e-``, ``[0-9][0-9]-``) are among them, and some names
    repeat a shape with other digits."""
    monkeypatch.setattr(registry, "PYTHON_SHAPES", python_shapes)
    rng = random.Random(11)
    stems = [
        "small-{}.journal", "e2e-events-{}.txt", "e{}e-events.txt", "{}-multus.conf",
        "{}a-multus.conf", "kubelet.log.{}", "crio-{}.log", "pod-{}-json.log", "messages-{}",
        "cni.log", "notes-{}.txt", "multus.log.{}", "x{}/var/log/containers/a.log",
    ]  # fmt: skip
    names = []
    for k in range(600):
        folder = rng.choice(("", "node-{}/", "/var/log/", "mg/part-{}/"))
        stem = rng.choice(stems)
        digits = str(rng.choice((k, rng.randrange(100), 2, 0, 99)))
        names.append((folder + stem).replace("{}", digits))
    assert len({n.translate(str.maketrans("123456789", "000000000")) for n in names}) * 4 < len(
        names
    )  # the shapes repeat: the folded matching is taken
    assert registry.sole_named_many(names) == [registry.sole_named(n) for n in names]


def test_sole_named_many_takes_undecodable_names_one_by_one() -> None:
    names = ["a/kubelet.journal", "b/\udcff.journal", "c/crio.log"]
    assert registry.sole_named_many(names) == ["journald", "journald", "crio"]


def test_globs_beyond_plain_classes_are_left_to_fnmatch() -> None:
    assert registry._rust_globs(("[9-0]x",)) is None  # a reversed range: fnmatch's own answer
    assert registry._rust_globs(("[^a]x",)) is None
    assert registry._rust_globs(("[0-9][!a-c]?.log*",)) == "[0-9][^a-c].\\x{2E}log.*"
    assert registry._rust_marked_globs(("[0-9]*.log", "*/pods/*")) == (
        "(?s)^(?:\\x{1}(?:[0-9].*\\x{2E}log)|\\x{2}(?:.*\\x{2F}pods\\x{2F}.*))$"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # a name glob (``*journal*.json``) reads the name, never the folders above it
        ("/home/journal-team/repo/rules/derived.json", None),
        ("/srv/journaldiag/notes.json", None),
        ("/srv/logs/node-journal.json", "journal-json"),
        # a path glob (with a ``/``) reads the whole path
        ("/x/var/log/pods/ns_pod_uid/c/0.log", "cri"),
        ("mg/namespaces/lab/pods/p/logs/c.log", "timestamped"),
    ],
)
def test_a_name_glob_matches_the_file_name_and_a_path_glob_the_path(
    path: str, expected: str | None
) -> None:
    assert registry.sole_named(path) == expected
    assert registry.sole_named_many([path, "a/kubelet.journal"]) == [expected, "journald"]


def test_the_glob_table_holds_each_formats_own_globs() -> None:
    """Every packaged format has an entry in :data:`registry.FORMAT_GLOBS` and declares its
    globs from it (names are matched from the table without loading the classes)."""
    assert list(registry.FORMAT_GLOBS) == list(registry.FORMATS)
    for fmt in registry.all_formats():
        assert registry.FORMAT_GLOBS[fmt.name] == fmt.filename_globs, fmt.name


def test_a_name_is_matched_loading_only_the_formats_it_names() -> None:
    """A command on one ``kubelet.journal`` imports journald's module, not every format's."""
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys\n"
        "from multus_forensics import registry\n"
        "print([f.name for f in registry.by_filename('node/kubelet.journal')])\n"
        "print(registry.sole_named_many(['a/x.journal'] * 9))\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('multus_forensics.formats.')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "['journald']"
    assert out[1] == str(["journald"] * 9)
    loaded = {m.rsplit(".", 1)[-1] for m in json.loads(out[2])}
    assert "journald" in loaded
    assert not loaded & {"kubectl_events", "containerd", "multus_log", "cni_config", "klog"}
