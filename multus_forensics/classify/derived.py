"""What the packaged catalog derives from its own text, computed once and shipped with it.

Every run used to parse the packaged TOML files and read each pattern's required literals
(:func:`multus_forensics.classify.select.required_literals`) from its syntax tree: about 0.07 s,
longer than parsing a 5-line file. ``rules/derived.json`` holds both results, keyed by content:

* ``files``: each rule file's parsed tables under the SHA-256 of its text; a file whose hash
  differs (edited, not rebuilt) is parsed from TOML as before;
* ``needles``: each pattern's literals (or ``null``: unknown) under the pattern text itself; a
  pattern that is not there is derived at run time;
* ``factors``: each pattern's standard-parser flags and ordered fragment sets
  (:func:`multus_forensics.classify.select.parse_factors`, or ``null``: unreadable), which the
  candidate pre-tests and text skeletons are made of: parsing some 60 patterns was a tenth of a
  5-line diagnosis.

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
VERSION: Final = 2


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


def known_factors(pattern: str) -> tuple[bool, tuple[int, list[frozenset[str]]] | None]:
    """(found, (flags, fragment sets)) of ``pattern`` in the shipped table; ``found`` is false
    when absent (the caller parses the pattern)."""
    value = _table().get("factors", {}).get(pattern, _MISSING)
    if value is _MISSING:
        return False, None
    if value is None:
        return True, None
    return True, (int(value["flags"]), [frozenset(f) for f in value["factors"]])


def build(
    rule_files: Iterable[tuple[str, str]],
    patterns: Iterable[str],
    factor_patterns: Iterable[str] = (),
) -> dict[str, Any]:
    """The derived data of ``rule_files`` ((name, TOML text)), the needles of ``patterns`` and
    the fragment sets of ``factor_patterns``, as written."""
    import tomllib

    from multus_forensics.classify.select import parse_factors, required_literals

    files = {
        name: {"sha256": digest(text), "doc": tomllib.loads(text)} for name, text in rule_files
    }
    needles: dict[str, list[str] | None] = {}
    for pattern in sorted(set(patterns)):
        found = required_literals(pattern)
        needles[pattern] = None if found is None else sorted(found)
    factors: dict[str, dict[str, Any] | None] = {}
    for pattern in sorted(set(factor_patterns)):
        parsed = parse_factors(pattern)
        factors[pattern] = (
            None
            if parsed is None
            else {"flags": parsed[0], "factors": [sorted(f) for f in parsed[1]]}
        )
    return {"version": VERSION, "files": files, "needles": needles, "factors": factors}


def build_packaged() -> dict[str, Any]:
    """:func:`build` of the packaged rule files, their patterns and the predicates' markers."""
    from multus_forensics.classify.catalog import builtin_rule_files, load_rules_text
    from multus_forensics.classify.predicates import MARKERS, NESTED_PATTERN

    rule_files = builtin_rule_files()
    patterns = [*MARKERS]
    factor_patterns = [*MARKERS, NESTED_PATTERN]
    for name, text in rule_files:
        for rule in load_rules_text(text, name, user=False):
            patterns.extend(rule.pattern_texts)
            factor_patterns.extend((*rule.pattern_texts, *rule.partial_texts, *rule.exclude_texts))
            factor_patterns.extend(
                a.pattern_text for a in (*rule.raises, *rule.lowers) if a.pattern_text
            )
    return build(rule_files, patterns, factor_patterns)


def render(table: dict[str, Any]) -> str:
    """The file's text: stable key order, one trailing newline (reviewable diffs)."""
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
