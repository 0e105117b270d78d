"""What a CNI network configuration says, as event fields: shared by the config, NAD and kubectl formats.

A CNI config is a single plugin (``.conf``: ``{"cniVersion", "name", "type", ...}``) or a list
(``.conflist``: ``{"cniVersion", "name", "plugins": [...]}``). Multus's own config (thin
``00-multus.conf`` or the thick daemon's generated one) lists ``delegates`` (or names a
``clusterNetwork``) and a ``kubeconfig``. The facts rules and predicates need are flattened into
``fields``: ``plugin_types`` (every binary the config makes the runtime call), ``delegate_types``,
``cniVersion``, ``master``, ``kubeconfig`` and ``self_delegating`` (a delegate of type multus or
multus-shim, or a NAD whose own type is multus: Multus would call itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Final

from multus_forensics.model import Event

#: plugin types that are Multus itself
MULTUS_TYPES: Final = frozenset({"multus", "multus-shim"})


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _plugins(conf: dict[str, Any]) -> list[dict[str, Any]]:
    plugins = list(_dicts(conf.get("plugins")))
    return plugins if plugins else [conf]


def config_fields(conf: dict[str, Any]) -> dict[str, Any]:
    """The facts of one CNI config (plugin or list) as ``fields`` values."""
    plugins = _plugins(conf)
    delegates: list[dict[str, Any]] = []
    for p in plugins:
        for d in _dicts(p.get("delegates")):
            delegates.extend(_plugins(d) if "plugins" in d else [d])
    types = [str(p["type"]) for p in plugins if isinstance(p.get("type"), str)]
    delegate_types = [str(d["type"]) for d in delegates if isinstance(d.get("type"), str)]
    ipam = [
        str(p["ipam"]["type"])
        for p in [*plugins, *delegates]
        if isinstance(p.get("ipam"), dict) and isinstance(p["ipam"].get("type"), str)
    ]
    masters = [str(p["master"]) for p in [*plugins, *delegates] if isinstance(p.get("master"), str)]
    kubeconfig = next(
        (p["kubeconfig"] for p in plugins if isinstance(p.get("kubeconfig"), str)), None
    )
    version = conf.get("cniVersion")
    multus = any(t in MULTUS_TYPES for t in types)
    return {
        "name": conf.get("name") if isinstance(conf.get("name"), str) else None,
        "cniVersion": version if isinstance(version, str) else None,
        "types": types,
        "delegate_types": delegate_types,
        "plugin_types": sorted({*types, *delegate_types, *ipam}),
        "master": masters[0] if masters else None,
        "kubeconfig": kubeconfig,
        "multus": multus,
        # multus's own config delegating to multus: it would call itself
        "self_delegating": multus and any(t in MULTUS_TYPES for t in delegate_types),
    }


def describe(fields: dict[str, Any], what: str = "CNI config") -> str:
    """One line a person (and a rule pattern) reads: name, types, version, delegates."""
    parts = [f"{what} {fields.get('name') or '<unnamed>'}"]
    types = fields.get("types") or []
    parts.append(f"type {', '.join(types) if types else '<none>'}")
    parts.append(f"cniVersion {fields.get('cniVersion') or '<missing>'}")
    if fields.get("master"):
        parts.append(f"master {fields['master']}")
    text = "; ".join(parts)
    delegates = fields.get("delegate_types") or []
    if delegates:
        text += "; delegates: " + ", ".join(f"delegate type {t}" for t in delegates)
    if fields.get("self_delegating"):
        text += " (multus delegates to multus)"
    missing = [f for f in ("cniVersion",) if not fields.get(f)]
    if missing and fields.get("types"):
        text += "; no cniVersion"
    return text


def nad_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The facts of a NetworkAttachmentDefinition object (``spec.config`` parsed when JSON)."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    assert isinstance(annotations, dict)
    raw = spec.get("config")
    conf: Any = None
    if isinstance(raw, str) and raw.strip():
        try:
            conf = json.loads(raw)
        except ValueError:
            conf = None
    elif isinstance(raw, dict):
        conf = raw
    fields: dict[str, Any] = config_fields(conf) if isinstance(conf, dict) else {}
    if isinstance(conf, dict):
        # a NAD whose own type is multus makes multus call itself
        fields["self_delegating"] = bool(fields.get("multus"))
    fields.update(
        nad=meta.get("name"),
        nad_namespace=meta.get("namespace"),
        resource_name=annotations.get("k8s.v1.cni.cncf.io/resourceName"),
        config_state="parsed"
        if isinstance(conf, dict)
        else ("absent" if raw is None else "invalid"),
    )
    return fields


def describe_nad(fields: dict[str, Any]) -> str:
    ns, name = fields.get("nad_namespace"), fields.get("nad")
    what = (
        f"NetworkAttachmentDefinition {ns}/{name}" if ns else f"NetworkAttachmentDefinition {name}"
    )
    if fields.get("config_state") != "parsed":
        return f"{what}: spec.config {fields.get('config_state')}"
    return describe(fields, what=f"{what}: CNI config")


def nad_event(base: Event, obj: dict[str, Any], fmt: str) -> Event:
    """The ``config:nad`` event of one NetworkAttachmentDefinition object (``base`` has its lines)."""
    fields = nad_fields(obj)
    return replace(
        base,
        format=fmt,
        source="kubectl",
        kind="config:nad",
        namespace=fields.get("nad_namespace"),
        network=fields.get("nad"),
        message=describe_nad(fields),
        fields=fields,
    )
