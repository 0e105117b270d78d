"""What the packaged catalog derives from its own text, computed once and shipped with it.

Every run used to parse the packaged TOML files and read each pattern's required literals
(:func:`multus_forensics.classify.select.required_literals`) from its syntax tree: about 0.07 s,
longer than parsing a 5-line file. ``rules/derived.json`` holds both results, keyed by content:

* ``files``: each rule file's parsed tables under the SHA-256 of its text; a file whose hash
  differs (edited, not rebuilt) is parsed from TOML as before;
* ``needles``: each pattern's literals (or ``null``: unknown) under the pattern text itself; a
  pattern that is not there is derived at run time.

So a stale entry costs time, never a different result. A file shipped with the package rather
than a cache written at run time: the first run of a fresh install is as fast as the next, and
nothing needs a writable home directory (read-only images, CI runners). ``python
scripts/build_derived.py`` rewrites it; ``tests/test_rules_derived.py`` fails while it is stale.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final

#: the derived file, next to the rule files in the package
DERIVED: Final = "derived.json"
#: bumped when the file's layout or the literal derivation changes meaning
VERSION: Final = 1


def digest(text: str) -> str:
    """The key of a rule file's parsed form: SHA-256 of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _table() -> dict[str, Any]:
    """The shipped derived data; empty when absent, unreadable or of another version (every
    lookup then misses and the caller derives, as before this file existed)."""
    try:
        text = (resources.files("multus_forensics") / "rules" / DERIVED).read_text("utf-8")
        table = json.loads(text)
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict) or table.get("version") != VERSION:
        return {}
    return table


def parsed_rule_file(name: str, text: str) -> dict[str, Any] | None:
    """The parsed tables of packaged rule file ``name`` when ``text`` is what was derived."""
    entry = _table().get("files", {}).get(name)
    if not isinstance(entry, dict) or entry.get("sha256") != digest(text):
        return None
    doc = entry.get("doc")
    return doc if isinstance(doc, dict) else None


_MISSING: Final = object()


def known_needles(pattern: str) -> tuple[bool, frozenset[str] | None]:
    """(found, literals) of ``pattern`` in the shipped table; ``found`` is false when absent."""
    value = _table().get("needles", {}).get(pattern, _MISSING)
    if value is _MISSING:
        return False, None
    return True, None if value is None else frozenset(value)


def build(rule_files: Iterable[tuple[str, str]], patterns: Iterable[str]) -> dict[str, Any]:
    """The derived data of ``rule_files`` ((name, TOML text)) and ``patterns``, as written."""
    import tomllib

    from multus_forensics.classify.select import required_literals

    files = {
        name: {"sha256": digest(text), "doc": tomllib.loads(text)} for name, text in rule_files
    }
    needles: dict[str, list[str] | None] = {}
    for pattern in sorted(set(patterns)):
        found = required_literals(pattern)
        needles[pattern] = None if found is None else sorted(found)
    return {"version": VERSION, "files": files, "needles": needles}


def build_packaged() -> dict[str, Any]:
    """:func:`build` of the packaged rule files, their patterns and the predicates' markers."""
    from multus_forensics.classify.catalog import builtin_rule_files, load_rules_text
    from multus_forensics.classify.predicates import MARKERS

    rule_files = builtin_rule_files()
    patterns = [*MARKERS]
    for name, text in rule_files:
        for rule in load_rules_text(text, name, user=False):
            patterns.extend(rule.pattern_texts)
    return build(rule_files, patterns)


def render(table: dict[str, Any]) -> str:
    """The file's text: stable key order, one trailing newline (reviewable diffs)."""
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
