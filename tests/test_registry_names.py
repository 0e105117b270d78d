"""File-name lookups of the registry: the combined patterns answer as the per-format globs do."""

from __future__ import annotations

import fnmatch
import random

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
