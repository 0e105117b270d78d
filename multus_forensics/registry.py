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

if TYPE_CHECKING:
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


def all_formats() -> list[LogFormat]:
    """Every registered format, in registry order."""
    return [get_format(name) for name in FORMATS]


@cache
def get_payload_parser(name: str) -> PayloadParser:
    return _load(PAYLOAD_PARSERS[name])  # type: ignore[return-value]


def payload_parsers() -> list[tuple[str, PayloadParser]]:
    return [(name, get_payload_parser(name)) for name in PAYLOAD_PARSERS]


def by_filename(path: str) -> list[LogFormat]:
    """Formats whose file-name globs match the base name (or full path) of ``path``."""
    base, path = os.path.normcase(path.rsplit("/", 1)[-1]), os.path.normcase(path)
    every = _named_pattern(tuple(FORMATS.items()), ())
    if every.match(base) is None and every.match(path) is None:
        return []  # one match for the name no glob fits, not one per format
    hits = []
    for fmt in all_formats():
        globs = _glob_pattern(fmt.filename_globs)
        if globs.match(base) or globs.match(path):
            hits.append(fmt)
    return hits


def sole_named(path: str) -> str | None:
    """The one format whose file-name globs match ``path`` (as :func:`by_filename` matches),
    or None when none or several do: two or three matches per name, not two per format
    (a folder of thousands of small files asks for every file)."""
    base, path = os.path.normcase(path.rsplit("/", 1)[-1]), os.path.normcase(path)
    table = tuple(FORMATS.items())  # the key: tests may register formats of their own
    every = _named_pattern(table, ())
    hit = every.match(base) or every.match(path)
    if hit is None or hit.lastgroup is None:
        return None
    name = table[int(hit.lastgroup[1:])][0]
    others = _named_pattern(table, (name,))
    return None if others.match(base) or others.match(path) else name


@cache
def _named_pattern(table: tuple[tuple[str, str], ...], without: tuple[str, ...]) -> re.Pattern[str]:
    """The globs of every format of ``table`` (:data:`FORMATS`' items) but those of ``without``
    as one pattern; the group ``f<k>`` that matched names the ``k``-th format."""
    either = "|".join(
        f"(?P<f{k}>{_glob_pattern(get_format(name).filename_globs).pattern})"
        for k, (name, _) in enumerate(table)
        if name not in without and get_format(name).filename_globs
    )
    return re.compile(either or r"(?!)")


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
