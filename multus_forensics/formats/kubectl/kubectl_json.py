"""``kubectl get events|pod -o json|yaml``: API objects with absolute timestamps.

The best event evidence there is (FORMATS.md §6.2): ``firstTimestamp`` / ``lastTimestamp`` /
``eventTime`` / ``series`` give real times and counts, ``involvedObject.uid`` tells two
incarnations of a StatefulSet pod apart, ``source.host`` names the node. Shapes read::

    {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Event", "reason": "AddedInterface", ...}]}
    apiVersion: v1
    kind: Pod
    metadata: {name: probe-6d8f9c7b54-qwz4n, namespace: lab, uid: 7ad2f92f-..., annotations: {...}}

JSON may be one document, a ``List``, or objects concatenated (``--watch``); YAML may hold several
``---`` documents. Events become ``event:<Reason>`` rows, pods a ``pod:info`` row (uid,
``deletionTimestamp``, ``spec.nodeName``) plus the annotation events of
:mod:`~multus_forensics.formats.kubectl._kubectl_pod`; other kinds a ``log`` row. Each item owns its
lines; the document's opening and closing lines go to its first and last item. A document
that does not parse keeps the items read before the damage; its remaining lines are issues.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.configs._cni import nad_event
from multus_forensics.formats.kubectl import _kubectl as k
from multus_forensics.formats.kubectl._kubectl_pod import Annotation, block_events, parse_rfc3339
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, ParseIssue, events_to_frame, excerpt
from multus_forensics.registry import FORMAT_GLOBS

FORMAT: Final = "kubectl-json"

_JSON_KIND = lazy(r'"kind":\s*"(?:Event|Pod|List|EventList|PodList)"')
_YAML_KIND = lazy(r"^kind:\s*(?:Event|Pod|List|EventList|PodList)\s*$")
_YAML_API = lazy(r"^(?:- )?apiVersion:\s*\S+\s*$")
_WS = lazy(r"[ \t\r\n]*")
#: characters YAML counts as line breaks but ``TextSource.lines`` does not: blanked so that
#: YAML's line numbers stay ours
_YAML_BREAKS: Final = str.maketrans({"\r": " ", "\x85": " ", "\u2028": " ", "\u2029": " "})
#: where a List entry or a document starts: the place to cut a damaged YAML text
_YAML_ENTRY = lazy(r"^(?:- |---)")
_ITEMS = lazy(r'"items"\s*:\s*\[')
_EVENT_OR_POD = lazy(r"""["']?kind["']?\s*:\s*["']?(?:Event|Pod)\b""")


@dataclass
class _Item:
    first: int  # 0-based first line
    last: int  # 0-based last line (inclusive)
    obj: Any


def _json_items(text: str, pos: int, dec: json.JSONDecoder) -> Iterator[tuple[int, int, Any]]:
    """(start, end, value) of each top-level value, or of each ``items`` entry of a List.

    Raises ``ValueError`` (with the offset reached in ``args[1]``) at the first damage.
    """
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            return
        start = pos
        try:
            obj, end = dec.raw_decode(text, pos)
        except ValueError:
            yield from _salvage_list(text, start, dec)
            raise ValueError("JSON document is cut or damaged", start) from None
        if isinstance(obj, dict) and isinstance(obj.get("items"), list) and obj["items"]:
            yield from _salvage_list(text, start, dec)
        else:
            yield start, end, obj
        pos = end


def _salvage_list(text: str, start: int, dec: json.JSONDecoder) -> Iterator[tuple[int, int, Any]]:
    """Entries of the ``"items": [`` array of the object at ``start``, as far as they parse."""
    m = _ITEMS.search(text, start)
    if m is None:
        return
    pos = m.end()
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] == "]":
            return
        try:
            obj, end = dec.raw_decode(text, pos)
        except ValueError:
            return
        yield pos, end, obj
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] != ",":
            return
        pos += 1


class KubectlJson(LogFormat):
    """``kubectl get events|pod -o json|yaml`` (single objects, Lists, watch streams)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("kubectl-yaml", "kubectl_get_events_json")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = "kubectl get events/pod -o json|yaml (Event, Pod, List objects)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        text = "\n".join(head)
        if "NetworkAttachmentDefinition" in text and not _EVENT_OR_POD.search(text):
            return 0.0  # NADs: the net-attach-def format (same parser) reads them
        if head[0].lstrip().startswith(("{", "[")):
            return 0.9 if _JSON_KIND.search(text) or '"involvedObject"' in text else 0.0
        kinds = any(_YAML_KIND.match(line) for line in head)
        api = any(_YAML_API.match(line) for line in head)
        return 0.9 if api and (kinds or any("involvedObject:" in line for line in head)) else 0.0

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        first = next((line for line in src.lines if line.strip()), "")
        items, damage, end_line = (
            self._json(src) if first.lstrip().startswith(("{", "[")) else self._yaml(src)
        )
        lines = src.lines
        events: list[Event] = []
        issues: list[ParseIssue] = []
        owned_until = -1
        blank = 0
        for n, item in enumerate(items):
            start = owned_until + 1
            last = item.last if n < len(items) - 1 else max(item.last, end_line)
            while start < item.first and not lines[start].strip():
                start += 1
                blank += 1
            ev, iss = self._item_events(src, item.obj, start, max(last, start - 1), ctx)
            events.extend(ev)
            issues.extend(iss)
            owned_until = max(owned_until, last)
        for i in range(owned_until + 1, len(lines)):
            if not lines[i].strip():
                blank += 1
            else:
                why = damage or "text outside any kubectl object"
                issues.append(ParseIssue(src.file, src.member, i + 1, why, excerpt(lines[i]),
                                         format=FORMAT))  # fmt: skip
        return ParseOutput(events_to_frame(events), issues, blank)

    def _json(self, src: TextSource) -> tuple[list[_Item], str | None, int]:
        text = src.text
        starts = [0]
        for m in re.finditer("\n", text):
            starts.append(m.end())

        def line_of(offset: int) -> int:
            return bisect.bisect_right(starts, offset) - 1

        items: list[_Item] = []
        damage = None
        dec = json.JSONDecoder()
        try:
            for a, b, obj in _json_items(text, 0, dec):
                items.append(_Item(line_of(a), line_of(max(a, b - 1)), obj))
        except ValueError as exc:
            damage = f"{exc.args[0]}; the objects before the damage were kept"
            return items, damage, items[-1].last if items else -1
        return items, None, _last_content_line(src.lines)

    def _yaml(self, src: TextSource) -> tuple[list[_Item], str | None, int]:
        import yaml

        lines = src.lines
        try:
            items = _yaml_items("\n".join(lines).translate(_YAML_BREAKS))
        except yaml.YAMLError as exc:
            why = f"YAML document is cut or damaged ({str(exc).splitlines()[0]})"
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            bad = mark.line if mark is not None else len(lines)
            # retry on the text before the list entry (or document) holding the damage
            cut = next((i for i in range(min(bad, len(lines) - 1), 0, -1)
                        if _YAML_ENTRY.match(lines[i])), 0)  # fmt: skip
            try:
                items = _yaml_items("\n".join(lines[:cut]).translate(_YAML_BREAKS)) if cut else []
            except yaml.YAMLError:
                items = []
            return items, why, items[-1].last if items else -1
        return items, None, _last_content_line(lines)

    def _item_events(
        self, src: TextSource, obj: Any, first: int, last: int, ctx: ParseContext
    ) -> tuple[list[Event], list[ParseIssue]]:
        lines = src.lines
        base = Event(
            source="kubectl", format=FORMAT, file=src.file, member=src.member, line=first + 1,
            nlines=last - first + 1, raw="\n".join(lines[first : last + 1]),
        )  # fmt: skip
        if not isinstance(obj, dict):
            return [_replace(base, message=str(obj)[:200], fields={"value": "not an object"})], []
        kind = obj.get("kind")
        if kind == "NetworkAttachmentDefinition":
            return [nad_event(base, obj, self.name)], []
        if kind == "Event" or "involvedObject" in obj or "regarding" in obj:
            return [_event(base, obj)], []
        raw_meta = obj.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if kind == "Pod":
            return _pod(src, base, obj, meta)
        name = f"{meta.get('namespace', '')}/{meta.get('name', '')}".strip("/")
        return [_replace(base, message=f"{kind} {name}", fields={"kind": kind})], []


def _last_content_line(lines: Sequence[str]) -> int:
    return next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), -1)


def _yaml_items(text: str) -> list[_Item]:
    """Items of every YAML document (the entries of a List), with their line spans."""
    import yaml

    items: list[_Item] = []
    for doc in yaml.compose_all(text, Loader=yaml.CSafeLoader):
        nodes = [doc]
        if isinstance(doc, yaml.MappingNode):
            for key, value in doc.value:
                if key.value == "items" and isinstance(value, yaml.SequenceNode):
                    nodes = value.value or nodes
        for node in nodes:
            end = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
            obj = yaml.SafeLoader("").construct_document(node)
            items.append(_Item(node.start_mark.line, max(end, node.start_mark.line), obj))
    return items


def _replace(base: Event, **kw: Any) -> Event:
    import dataclasses

    return dataclasses.replace(base, **kw)


def _text(value: Any) -> str | None:
    """A string column value from an API field (``None`` when absent or empty)."""
    return None if value is None or value == "" else str(value)


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else ``{}``: hand-edited objects break any shape."""
    return value if isinstance(value, dict) else {}


def _owners(meta: dict[str, Any]) -> list[dict[str, Any]]:
    refs = meta.get("ownerReferences")
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _event(base: Event, obj: dict[str, Any]) -> Event:
    inv = _mapping(obj.get("involvedObject") or obj.get("regarding"))
    reason = str(obj.get("reason") or "")
    message = str(obj.get("message") or obj.get("note") or "").strip()
    first = parse_rfc3339(obj.get("firstTimestamp") or obj.get("deprecatedFirstTimestamp"))
    last = parse_rfc3339(
        _get(obj, "series", "lastObservedTime")
        or obj.get("lastTimestamp")
        or obj.get("deprecatedLastTimestamp")
    )
    event_time = parse_rfc3339(obj.get("eventTime"))
    count = _get(obj, "series", "count") or obj.get("count") or obj.get("deprecatedCount") or 1
    component = (
        _get(obj, "source", "component")
        or obj.get("reportingComponent")
        or obj.get("reportingController")
    )
    host = _get(obj, "source", "host") or obj.get("reportingInstance")
    found = k.interpret(reason, message) if reason else {"kind": "event:other"}
    is_pod = str(inv.get("kind", "")).lower() == "pod"
    fields: dict[str, Any] = {"reason": reason, "count": count, "type": obj.get("type")}
    if k.looks_truncated(message):
        fields["truncated"] = True
    fields.update(
        {key: value for key, value in (
            ("from", component), ("first_time", first and first.isoformat()),
            ("last_time", last and last.isoformat()),
            ("event_time", event_time and event_time.isoformat()),
            ("object", f"{inv.get('kind')}/{inv.get('name')}" if inv else None),
            ("name", _get(obj, "metadata", "name")),
        ) if value}
    )  # fmt: skip
    cols = {key: found[key] for key in ("sandbox_id", "network", "interface", "ips", "error")
            if found.get(key)}  # fmt: skip
    return _replace(
        base,
        time=last or event_time or first,
        node=host if isinstance(host, str) and host else None,
        kind=found["kind"],
        level=k.level_of(obj.get("type"), reason),
        namespace=_text(inv.get("namespace") or _get(obj, "metadata", "namespace")),
        pod=_text(inv.get("name")) if is_pod else found.get("pod"),
        pod_uid=_text(inv.get("uid")) if is_pod else found.get("pod_uid"),
        message=message,
        fields=fields,
        **cols,
    )


def _pod(
    src: TextSource, base: Event, obj: dict[str, Any], meta: dict[str, Any]
) -> tuple[list[Event], list[ParseIssue]]:
    ns, name = _text(meta.get("namespace")), _text(meta.get("name"))
    node = _text(_get(obj, "spec", "nodeName"))
    deleted = meta.get("deletionTimestamp")
    phase = _get(obj, "status", "phase")
    fields = {key: value for key, value in (
        ("status", phase), ("ip", _get(obj, "status", "podIP")),
        ("creation_timestamp", meta.get("creationTimestamp")),
        ("start_time", _get(obj, "status", "startTime")),
        ("deletion_timestamp", deleted),
        ("controlled_by", "/".join(
            str(ref.get(x)) for ref in _owners(meta)[:1] for x in ("kind", "name")
        ) if _owners(meta) else None),
    ) if value}  # fmt: skip
    info = _replace(
        base,
        time=parse_rfc3339(_get(obj, "status", "startTime") or meta.get("creationTimestamp")),
        node=node,
        kind="pod:info",
        namespace=ns,
        pod=name,
        pod_uid=_text(meta.get("uid")),
        message=f"pod {ns}/{name} on {node or '<none>'}: {phase or '?'}"
        + (" (deleting)" if deleted else ""),
        fields=fields,
    )
    owned = list(range(base.line - 1, base.line - 1 + base.nlines))
    found = []
    for key, value in _mapping(meta.get("annotations")).items():
        lines = _annotation_lines(src.lines, owned, str(key))
        if lines:
            found.append(Annotation(str(key), str(value), lines))
    return block_events(src, FORMAT, info, owned, found)


def _annotation_lines(lines: Sequence[str], owned: list[int], key: str) -> list[int]:
    """Lines printing annotation ``key`` in a JSON or YAML rendering (YAML values may continue
    on deeper-indented lines); ``[]`` when it cannot be found."""
    quoted = re.compile(rf"""^\s*(?:"{re.escape(key)}"|'{re.escape(key)}'|{re.escape(key)})\s*:""")
    for n, i in enumerate(owned):
        m = quoted.match(lines[i])
        if m is None:
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        out = [i]
        if not lines[i].lstrip().startswith('"'):  # YAML: block or wrapped scalars continue
            for j in owned[n + 1 :]:
                text = lines[j]
                if text.strip() and len(text) - len(text.lstrip()) <= indent:
                    break
                out.append(j)
        return out
    return []
