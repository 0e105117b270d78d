"""The explicit registry of log formats and payload parsers, imported lazily.

Adding a format is one module under ``formats/`` and one line in :data:`FORMATS`. Nothing
registers itself at import time. Detection order for an input: an explicit format name, then the
file-name globs, then the best sniff score over the first lines; a tie at the top is an error
naming the candidates, and a best score under :data:`MIN_SNIFF_SCORE` means "not recognised".
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import os
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Final

from multus_forensics.errors import AmbiguousFormatError, UnknownFormatError
from multus_forensics.lazyre import lazy

if TYPE_CHECKING:
    import numpy as np

    from multus_forensics.formats.base import LogFormat, PayloadParser

#: format name -> "module:Class" (modules under multus_forensics.formats)
FORMATS: Final[dict[str, str]] = {
    "klog-json": "kubelet.klog_json:KlogJson",
    "kubectl-json": "kubectl.kubectl_json:KubectlJson",
    "kubectl-events": "kubectl.kubectl_events:KubectlEvents",
    "openshift-monitor": "kubectl.openshift_monitor:OpenshiftMonitor",
    "kubectl-describe": "kubectl.kubectl_describe:KubectlDescribe",
    "journal-json": "kubelet.journal_json:JournalJson",
    "bare-error": "bare_error:BareError",
    "multus-log": "multus.multus_log:MultusLogFormat",
    "containerd": "runtime.containerd:ContainerdFormat",
    "crio": "runtime.crio:CrioFormat",
    "klog": "kubelet.klog:KlogFormat",
    "journald": "kubelet.journald:JournaldFormat",
    "crictl": "runtime.crictl:CrictlFormat",
    "multus-entrypoint": "multus.multus_entrypoint:MultusEntrypointFormat",
    "cri": "runtime.cri:CriFormat",
    "docker-json": "runtime.docker_json:DockerJsonFormat",
    "calico": "runtime.calico:CalicoFormat",
    "timestamped": "timestamped:TimestampedFormat",
    "cni-config": "configs.cni_config:CniConfigFormat",
    "net-attach-def": "configs.net_attach_def:NetAttachDefFormat",
    "cni-listing": "configs.cni_listing:CniListingFormat",
}

#: format name -> the file-name globs its class declares (``filename_globs``; a test holds the
#: two equal): names are matched without importing every format's module, which a command
#: on one small file paid for (only the formats a name matches are loaded)
FORMAT_GLOBS: Final[dict[str, tuple[str, ...]]] = {
    "klog-json": (),
    "kubectl-json": (),
    "kubectl-events": ("*events*.txt",),
    "openshift-monitor": ("e2e-events*.txt", "e2e-monitor*.log"),
    "kubectl-describe": ("*describe*",),
    "journal-json": ("*journal*.json", "*journal*.jsonl"),
    "bare-error": (),
    "multus-log": ("multus.log", "multus*.log", "whereabouts*.log"),
    "containerd": ("containerd.log", "containerd*.log"),
    "crio": ("crio.log", "crio*.log", "cri-o*.log"),
    "klog": ("kubelet.log*", "kubelet.*.log*", "kubelet.*.INFO*", "kubelet.INFO*"),
    "journald": (
        "*.journal", "*_service.log", "messages", "messages-*", "syslog", "syslog.*",
        "journalctl*.txt", "journal*.log",
    ),
    "crictl": ("crictl*.log", "crictl*.txt"),
    "multus-entrypoint": ("*entrypoint*.log", "install-multus*.log"),
    "cri": ("*/var/log/pods/*/*/*.log", "*/var/log/containers/*.log"),
    "docker-json": ("*-json.log", "*-json.log.*"),
    "calico": ("cni.log",),
    "timestamped": ("namespaces/*/pods/*/logs/*.log", "*/namespaces/*/pods/*/logs/*.log"),
    "cni-config": ("*.conflist", "*multus*.conf", "[0-9][0-9]-*.conf"),
    "net-attach-def": (),
    "cni-listing": ("ls_-l*", "ls_-al*", "ls_-la*", "ls_-*.cni*"),
}  # fmt: skip
#: the packaged table (tests register formats of their own: theirs are read from the class)
_PACKAGED: Final = dict(FORMATS)

#: payload shape -> "module:function", tried in this order by wrapper formats (journald, CRI).
PAYLOAD_PARSERS: Final[dict[str, str]] = {
    "klog": "kubelet.klog:parse_payload",
    "klog-json": "kubelet.klog_json:parse_payload",
    "multus": "multus._multus_msg:parse_multus_payload",
    "logrus": "runtime._logrus:parse_logrus_payload",
    "multus-entrypoint": "multus.multus_entrypoint:parse_entrypoint_payload",
    "calico": "runtime.calico:parse_calico_payload",
}

MIN_SNIFF_SCORE: Final = 0.3
TIE_EPSILON: Final = 1e-9


def _load(spec: str) -> object:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(f"multus_forensics.formats.{module_name}")
    return getattr(module, attr)


@cache
def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in FORMATS:
        table[name] = name
        for alias in get_format(name).aliases:
            table[alias] = name
    return table


@cache
def get_format(name: str) -> LogFormat:
    """The format registered as ``name`` or one of its aliases; suggests the closest name."""
    if name in FORMATS:
        cls = _load(FORMATS[name])
        return cls()  # type: ignore[operator,no-any-return]
    canonical = _aliases().get(name)
    if canonical is None:
        close = difflib.get_close_matches(name, list(_aliases()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownFormatError(
            f"unknown format {name!r}{hint} (multus-forensics formats lists them)"
        )
    return get_format(canonical)


def globs_of(name: str) -> tuple[str, ...]:
    """The file-name globs of registered format ``name``, its module left unloaded when the
    entry is the packaged one (:data:`FORMAT_GLOBS`)."""
    if name in FORMAT_GLOBS and FORMATS.get(name) == _PACKAGED.get(name):
        return FORMAT_GLOBS[name]
    return get_format(name).filename_globs


def all_formats() -> list[LogFormat]:
    """Every registered format, in registry order."""
    return [get_format(name) for name in FORMATS]


@cache
def get_payload_parser(name: str) -> PayloadParser:
    return _load(PAYLOAD_PARSERS[name])  # type: ignore[return-value]


def payload_parsers() -> list[tuple[str, PayloadParser]]:
    return [(name, get_payload_parser(name)) for name in PAYLOAD_PARSERS]


def _split_globs(globs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(globs of a base name, globs of a path): a glob with a ``/`` describes where a file
    lives (``*/var/log/pods/*/*/*.log``), the others only its name. A name glob is never
    matched against the whole path: ``fnmatch``'s ``*`` also matches ``/``, so
    ``*journal*.json`` took every JSON file under a folder called ``journal``."""
    return tuple(g for g in globs if "/" not in g), tuple(g for g in globs if "/" in g)


def by_filename(path: str) -> list[LogFormat]:
    """Formats whose file-name globs match the base name of ``path``, or whose path globs
    (those with a ``/``) match all of it."""
    base, path = os.path.normcase(path.rsplit("/", 1)[-1]), os.path.normcase(path)
    found = []
    for name in _could_match(path):
        names, paths = _split_globs(globs_of(name))
        if _glob_pattern(names).match(base) or _glob_pattern(paths).match(path):
            found.append(get_format(name))
    return found


def sole_named(path: str) -> str | None:
    """The one format :func:`by_filename` finds for ``path``, or None when none or several."""
    named = by_filename(path)
    return named[0].name if len(named) == 1 else None


def sole_named_many(paths: Sequence[str]) -> list[str | None]:
    """:func:`sole_named` of each path, decided for all at once: every format's globs matched
    over all the names in one Rust regex pass per format (a folder of thousands of small files
    paid two Python matches per candidate format and file). Names that are not valid UTF-8
    (undecodable bytes kept as surrogates), and all of them when a glob holds more than ``*``,
    ``?`` and simple ``[...]`` classes, are answered one path at a time, exactly as before."""
    if not paths:  # nothing to ask: no format imported for it
        return []
    formats = [name for name in FORMATS if globs_of(name)]
    # a base name meets only a format's name globs, the full path only its path globs: each
    # name is marked with which it is, and a format's pattern reads the mark first
    patterns = [p for name in formats if (p := _rust_marked_globs(globs_of(name))) is not None]
    if len(patterns) < len(formats):
        return [sole_named(p) for p in paths]
    import numpy as np
    import polars as pl

    # each base name, then each full path: 2n names
    norm = os.path.normcase
    if norm("A/b") == "A/b":  # no case or separator folding (POSIX): no call per name
        names = [_BASE_MARK + p.rpartition("/")[2] for p in paths]
        names += [_PATH_MARK + p for p in paths]
    else:
        names = [_BASE_MARK + norm(p.rsplit("/", 1)[-1]) for p in paths]
        names += [_PATH_MARK + norm(p) for p in paths]
    # names of numbered files (part-000/small-00123.journal) share a few shapes once every
    # digit reads as 0: a format whose globs hold no digit and no class matches a name exactly
    # when it matches its shape (:func:`_digit_blind`), so its pattern runs over the distinct
    # shapes (a Rust regex pass per format over thousands of names cost microseconds a name);
    # the shapes are made for all names at once, joined by NUL (which no path holds)
    try:
        shaped = "\0".join(names).encode().translate(_DIGITS_AS_ZERO).split(b"\0")
    except UnicodeEncodeError:
        return [sole_named(p) for p in paths]
    shape_of = {shape: k for k, shape in enumerate(dict.fromkeys(shaped))}
    codes = [shape_of[shape] for shape in shaped]
    blind = [_digit_blind(globs_of(name)) for name in formats]
    if len(shape_of) * 2 > len(names):  # few names share a shape: match the names themselves
        blind = [False] * len(formats)
    matched = np.zeros((len(names), len(formats)), dtype=bool)
    if any(blind):
        on_shapes = _shapes_matched([b.decode() for b in shape_of], formats, blind, patterns)
        matched[:, blind] = on_shapes[np.asarray(codes, dtype=np.int64)]
    if not all(blind):
        sighted = [not b for b in blind]
        column = pl.Series("name", names, dtype=pl.String)
        matched[:, sighted] = pl.select(
            column.str.contains(p).alias(str(k)) for k, p in enumerate(patterns) if not blind[k]
        ).to_numpy()
    hits = matched[: len(paths)] | matched[len(paths) :]  # paths x formats
    counts, first = hits.sum(axis=1).tolist(), hits.argmax(axis=1).tolist()
    return [
        get_format(formats[i]).name if c == 1 else None for i, c in zip(first, counts, strict=True)
    ]


#: distinct shapes matched by :mod:`re` one by one, not by one Rust regex pass per format
#: (which compiles each format's pattern again on every call: most of a group's cost)
PYTHON_SHAPES: Final = 64


def _shapes_matched(
    shapes: list[str], formats: list[str], blind: list[bool], patterns: list[str]
) -> np.ndarray:
    """Whether each marked shape (:data:`_BASE_MARK` or :data:`_PATH_MARK`, then a name)
    matches each blind format's globs: a shapes x blind formats table. A few shapes are
    matched as :func:`by_filename` matches a name (name globs on a base name, path globs on a
    path), many by ``patterns`` (:func:`_rust_marked_globs`) in Rust."""
    import numpy as np
    import polars as pl

    names = [name for name, b in zip(formats, blind, strict=True) if b]
    if len(shapes) > PYTHON_SHAPES:
        column = pl.Series("name", shapes, dtype=pl.String)
        return pl.select(
            column.str.contains(p).alias(str(k)) for k, p in enumerate(patterns) if blind[k]
        ).to_numpy()
    halves = [_split_globs(globs_of(name)) for name in names]
    out = np.zeros((len(shapes), len(names)), dtype=bool)
    for k, shape in enumerate(shapes):
        half = 0 if shape[:1] == _BASE_MARK else 1
        text = shape[1:]
        for j, globs in enumerate(halves):
            out[k, j] = _glob_pattern(globs[half]).match(text) is not None
    return out


#: every ASCII digit read as 0 (the shape of a numbered name)
_DIGITS_AS_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")


def _digit_blind(globs: tuple[str, ...]) -> bool:
    """Whether no glob holds a digit or a ``[...]`` class: a digit of a name is then matched
    only by ``*`` or ``?``, and any other digit in its place matches alike."""
    return not any(c.isdigit() or c == "[" for g in globs for c in g)


#: a glob's class of plain characters and ranges (``[0-9]``, ``[!abc]``); anything else in
#: brackets is left to :mod:`fnmatch`
_SIMPLE_CLASS: Final = lazy(r"\[(!?)((?:[A-Za-z0-9_.](?:-[A-Za-z0-9_.])?)+)\]")


#: what :func:`sole_named_many` puts before a base name and before a full path
_BASE_MARK: Final = "\x01"
_PATH_MARK: Final = "\x02"


@cache
def _rust_marked_globs(globs: tuple[str, ...]) -> str | None:
    """A format's globs as one Rust regex over a marked name (:data:`_BASE_MARK` and a base
    name, or :data:`_PATH_MARK` and a full path): name globs after the first mark, path
    globs after the second (:func:`_split_globs`); None as for :func:`_rust_globs`."""
    name_globs, path_globs = _split_globs(globs)
    halves = []
    for mark, part in ((_BASE_MARK, name_globs), (_PATH_MARK, path_globs)):
        if not part:
            continue
        alternatives = _rust_globs(part)
        if alternatives is None:
            return None
        halves.append(f"\\x{{{ord(mark):X}}}(?:{alternatives})")
    return "(?s)^(?:" + "|".join(halves) + ")$"


@cache
def _rust_globs(globs: tuple[str, ...]) -> str | None:
    """A format's globs (normcased) as the alternatives of one Rust regex with
    :mod:`fnmatch`'s meaning (``*`` and ``?`` match any character, ``/`` and newlines too),
    or None when a glob holds more than ``*``, ``?`` and :data:`_SIMPLE_CLASS` classes (a
    reversed range among them)."""
    out = []
    for glob in globs:
        glob, parts, at = os.path.normcase(glob), [], 0
        while at < len(glob):
            c = glob[at]
            if c == "[":
                m = _SIMPLE_CLASS.match(glob, at)
                ranges = re.findall(r"(.)-(.)", m[2]) if m is not None else []
                if m is None or any(a > b for a, b in ranges):
                    return None
                parts.append(f"[{'^' if m[1] else ''}{m[2]}]")
                at = m.end()
                continue
            if c == "*" or c == "?":
                parts.append(".*" if c == "*" else ".")
            else:  # every other character literally, by code point
                parts.append(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):X}}}")
            at += 1
        out.append("".join(parts))
    return "|".join(out) if out else None


def _could_match(path: str) -> tuple[str, ...]:
    """The names of the formats one of whose globs has all its literal parts in ``path`` (normcased): only
    their globs can match it or its base name, which is a part of it. A folder of thousands of
    small files asks for every file; a few substring tests and a lookup replace most of the
    two pattern matches per format."""
    parts, seen = _literal_parts(FORMATS)
    present = frozenset(p for p in parts if p in path)
    found = seen.get(present)
    if found is None:
        found = seen[present] = tuple(
            name for name in FORMATS if any(set(_literals(g)) <= present for g in globs_of(name))
        )
    return found


_Parts = tuple[tuple[str, ...], dict[frozenset[str], tuple[str, ...]]]
#: the registry table the parts were read from (tests register formats of their own), its
#: size then, and the parts
_parts_of: list[tuple[dict[str, str], int, _Parts]] = []


def _literal_parts(table: dict[str, str]) -> _Parts:
    """Every literal part of the globs of ``table``'s formats, and the lookup of which formats
    a set of parts present allows (filled as sets are met); made again for another table."""
    if _parts_of and _parts_of[0][0] is table and _parts_of[0][1] == len(table):
        return _parts_of[0][2]
    parts = {p for name in table for g in globs_of(name) for p in _literals(g)}
    made: _Parts = (tuple(sorted(parts)), {})
    _parts_of[:] = [(table, len(table), made)]
    return made


def _literals(glob: str) -> tuple[str, ...]:
    """The literal runs of a glob (between ``*``, ``?`` and ``[...]``), normcased: a name the
    glob matches holds each of them."""
    return tuple(p for p in re.split(r"\*|\?|\[[^\]]*\]", os.path.normcase(glob)) if p)


@cache
def _glob_pattern(globs: tuple[str, ...]) -> re.Pattern[str]:
    """A format's file-name globs as one pattern (``fnmatch`` semantics): one match per format
    instead of one per glob, for folders of thousands of small files."""
    either = "|".join(f"(?:{fnmatch.translate(os.path.normcase(g))})" for g in globs)
    return re.compile(either or r"(?!)")


def sniff_scores(head: Sequence[str]) -> list[tuple[float, str]]:
    """(score, name) for every format, best first."""
    scores = [(fmt.sniff(head), fmt.name) for fmt in all_formats()]
    return sorted(scores, key=lambda s: (-s[0], s[1]))


def detect(
    path: str, head: Sequence[str], explicit: str | None = None
) -> tuple[LogFormat | None, str]:
    """Choose the format for one input; returns (format or None, how it was chosen / why not).

    A file-name match is confirmed by content: if its sniff score is under the threshold while
    another format sniffs clearly, content wins (a renamed file must not be misparsed).
    """
    if explicit:
        return get_format(explicit), "explicit"
    named = by_filename(path)
    if named and not head:
        return named[0], "file name"
    if not head:
        return None, "empty input"
    best_named, named_score = None, 0.0
    if named:  # each sniffed once: the first of the best, as max() picks
        named_score, best_named = max(((f.sniff(head), f) for f in named), key=lambda s: s[0])
    if best_named is not None and named_score >= MIN_SNIFF_SCORE:
        return best_named, "file name"  # confirmed by content: no need to sniff the rest
    scores = sniff_scores(head)
    if best_named is not None and scores[0][0] < MIN_SNIFF_SCORE:
        return best_named, "file name"
    best = scores[0][0]
    if best < MIN_SNIFF_SCORE:
        shown = ", ".join(f"{n} {s:.2f}" for s, n in scores[:3])
        return None, f"no format recognised (best sniff scores: {shown})"
    tied = [n for s, n in scores if best - s <= TIE_EPSILON]
    if len(tied) > 1:
        raise AmbiguousFormatError(
            f"{path}: formats sniff equally ({best:.2f}): {', '.join(tied)}; pass --log-format",
            tied,
        )
    return get_format(scores[0][1]), f"sniffed {best:.2f}"
