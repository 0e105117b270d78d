"""What a path says about a stream: its rotation set, and the node of a must-gather/sosreport tree.

Rotation: ``kubelet.log.2.gz``, ``kubelet.log.1`` and ``kubelet.log`` are one set written
oldest-to-newest in the reverse of their name order; lumberjack backups
(``multus-2026-03-11T13-00-00.000.log.gz`` beside ``multus.log``) and logrotate ``dateext``
suffixes (``kubelet.log-20260311``) sort by their stamp; a must-gather container's ``previous.log``
(its last terminated instance) comes before ``current.log``. :func:`rotation_key` turns a path into
(set, rank) so the pipeline can put each set's events in time order without reading ahead.

Bundles: ``oc adm must-gather`` and ``sos report`` trees are recognised by their layout. Only paths
that name one node give a node hint (``nodes/<node>/...``, ``sosreport-<host>-...``, a sosreport
``hostname`` file); ``host_service_logs/masters/kubelet_service.log`` interleaves several nodes and
is left to the journald parser's host field.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from typing import Final, Literal

from multus_forensics.ingest.compression import SUFFIXES, strip_suffix
from multus_forensics.lazyre import lazy

BundleKind = Literal["must-gather", "sosreport"]

_NUMBERED: Final = lazy(r"^(?P<base>.+)\.(?P<n>\d{1,4})$")
_DATEEXT: Final = lazy(r"^(?P<base>.+)-(?P<stamp>20\d{6}(?:\d{2,6})?)$")
_LUMBERJACK: Final = lazy(
    r"^(?P<name>.+)-(?P<stamp>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d{3})?)(?P<ext>\.[^.]+)?$"
)
_SOSREPORT_DIR: Final = lazy(r"^sosreport-(?P<host>.+?)(?:-\d{5,})?-\d{4}-\d\d-\d\d-[a-z0-9]+$")
_SOSREPORT_SHORT: Final = lazy(r"^sosreport-(?P<host>.+?)(?:-\d{5,})?$")

#: must-gather / ``oc adm inspect``: ``.../<container>/logs/previous[.insecure].log``
_PREVIOUS: Final = lazy(r"^previous(?P<rest>(?:\.insecure)?\.log)$")

_ARCHIVE_EXT: Final = lazy(r"\.(?:tar(?:\.[a-z0-9]+)?|tgz|txz|zip)$")

RotationRank = tuple[int, str, int]


def rotation_key(path: str) -> tuple[str, RotationRank]:
    """(set id, rank): streams of one set sort oldest first by rank; the live file is last.

    The set id is the directory plus the live file's name, so ``a/kubelet.log.1`` and
    ``b/kubelet.log.1`` are different sets.
    """
    directory, base = posixpath.split(path.replace("\\", "/") if "\\" in path else path)
    name = strip_suffix(base) if base.endswith(SUFFIXES) else base
    if not name[-1:].isdigit() and "T" not in name and not name.startswith("previous"):
        return f"{directory}/{name}", (2, "", 0)  # none of the patterns below can match
    m = _PREVIOUS.match(name)
    if m and directory.endswith("/logs"):
        return f"{directory}/current{m['rest']}", (0, "", -1)
    m = _LUMBERJACK.match(name)
    if m:
        live = m["name"] + (m["ext"] or "")
        return f"{directory}/{live}", (1, m["stamp"], 0)
    m = _DATEEXT.match(name)
    if m:
        return f"{directory}/{m['base']}", (1, m["stamp"], 0)
    m = _NUMBERED.match(name)
    if m and not m["base"].endswith(".tar"):
        return f"{directory}/{m['base']}", (0, "", -int(m["n"]))
    return f"{directory}/{name}", (2, "", 0)


def rotation_keys(paths: list[str]) -> list[tuple[str, RotationRank]]:
    """:func:`rotation_key` of each path, in one loop: a name no rotation pattern can match
    (the ``messages``, ``node-3.journal`` of a folder of thousands) is its own set at once,
    its directory cut as :func:`posixpath.split` cuts it; any other is asked alone."""
    out: list[tuple[str, RotationRank]] = []
    live: RotationRank = (2, "", 0)
    for path in paths:
        cut = path.rfind("/") + 1
        name = path[cut:]
        if (
            name[-1:].isdigit()
            or "T" in name
            or name.startswith("previous")
            or "\\" in path
            or name.endswith(SUFFIXES)
        ):
            out.append(rotation_key(path))
            continue
        head = path[:cut]
        if head and head != "/" * len(head):
            head = head.rstrip("/")
        out.append((f"{head}/{name}", live))
    return out


def bundle_kind(path: str) -> BundleKind | None:
    """``must-gather`` or ``sosreport`` when the path has that tree's layout, else ``None``."""
    parts = path.replace("\\", "/").split("/")
    if "sos_commands" in parts or any(p.startswith("sosreport-") for p in parts):
        return "sosreport"
    if "host_service_logs" in parts or "cluster-scoped-resources" in parts:
        return "must-gather"
    for i, part in enumerate(parts[:-2]):
        if part == "namespaces" and parts[i + 2] == "pods":
            return "must-gather"
        if part == "nodes" and i + 2 < len(parts):
            return "must-gather"
    return None


def sosreport_root(path: str) -> str | None:
    """The directory of a sosreport tree that holds ``sos_commands`` (where ``hostname`` lives)."""
    parts = path.replace("\\", "/").split("/")
    if "sos_commands" in parts:
        return "/".join(parts[: parts.index("sos_commands")])
    for i in range(len(parts) - 2, -1, -1):  # innermost: an archive holds a same-named dir
        if parts[i].startswith("sosreport-"):
            return "/".join(parts[: i + 1])
    return None


def node_hint(path: str, hostnames: dict[str, str] | None = None) -> str | None:
    """The node a bundle path is about, when the layout names exactly one.

    ``hostnames`` maps a sosreport root directory to the content of its ``hostname`` file,
    which is more reliable than the directory name (host names contain dashes).
    """
    path = path.replace("\\", "/")
    for root, host in (hostnames or {}).items():
        if path.startswith(root.rstrip("/") + "/"):
            return host
    folder, _, base = path.rpartition("/")
    if base not in _LAYOUT_NAMES and not base.startswith("sosreport-"):
        return _folder_hint(folder)  # the base name plays no part: once per folder
    return _layout_hint(path)


def folder_named(name: str) -> bool:
    """Whether :func:`node_hint` of a file whose base name is ``name`` depends on its folder
    alone: the same for every such file of one folder (asked once for them)."""
    return name not in _LAYOUT_NAMES and not name.startswith("sosreport-") and "\\" not in name


#: names :func:`bundle_kind` and :func:`node_hint` look for, as the last part of a path too
_LAYOUT_NAMES: Final = frozenset(
    ("sos_commands", "host_service_logs", "cluster-scoped-resources", "pods")
)


@lru_cache(maxsize=256)
def _folder_hint(folder: str) -> str | None:
    """:func:`_layout_hint` of a file in ``folder`` whose name is none of :data:`_LAYOUT_NAMES`."""
    return _layout_hint(folder + "/_")


def _layout_hint(path: str) -> str | None:
    parts = path.split("/")
    kind = bundle_kind(path)
    if kind == "sosreport":
        names = [_ARCHIVE_EXT.sub("", p) for p in parts[:-1] if p.startswith("sosreport-")]
        for pattern in (_SOSREPORT_DIR, _SOSREPORT_SHORT):
            for name in names:
                m = pattern.match(name)
                if m:
                    return m["host"]
        return None
    if kind == "must-gather":
        for i, part in enumerate(parts[:-2]):
            if part == "nodes" and parts[i + 1]:
                return parts[i + 1]
    return None


def read_hostname(text: str) -> str | None:
    """The host in a sosreport ``hostname`` file (first non-blank line, domain kept)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None
