"""The packaged catalog's derived file: current, keyed by content, and never a different result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from multus_forensics.classify import catalog as catalog_module
from multus_forensics.classify import derived, load_catalog
from multus_forensics.classify.catalog import builtin_rule_files, load_rules_text
from multus_forensics.classify.select import (
    match_factors,
    needles_of,
    parse_factors,
    required_literals,
)

SHIPPED = Path(derived.__file__).resolve().parent.parent / "rules" / derived.DERIVED


@pytest.fixture
def fresh_table() -> Iterator[None]:
    """Each test sees the table as its monkeypatches leave it, and later tests the real one."""
    derived._table.cache_clear()
    needles_of.cache_clear()
    yield
    derived._table.cache_clear()
    needles_of.cache_clear()


def test_the_shipped_derived_file_is_current() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == derived.render(derived.build_packaged()), (
        "rules/derived.json is stale: run `python scripts/build_derived.py`"
    )


def test_the_catalog_read_from_the_derived_file_equals_the_one_parsed_from_toml() -> None:
    from_toml = [
        rule
        for name, text in builtin_rule_files()
        for rule in load_rules_text(text, name, user=False)
    ]
    assert list(load_catalog(plugins=False).rules) == from_toml


def test_every_shipped_needle_set_is_what_the_pattern_requires() -> None:
    table = derived._table()
    assert table["needles"], "the shipped file lists no pattern"
    for pattern, needles in table["needles"].items():
        expected = required_literals(pattern)
        assert (None if needles is None else frozenset(needles)) == expected, pattern


def test_every_shipped_fragment_set_is_what_the_standard_parser_reads() -> None:
    table = derived._table()
    assert table["factors"], "the shipped file lists no fragment sets"
    for pattern in table["factors"]:
        found, shipped = derived.known_factors(pattern)
        assert found
        assert shipped == parse_factors(pattern), pattern


def test_the_catalog_patterns_a_diagnosis_reads_have_shipped_fragment_sets() -> None:
    for rule in load_catalog(plugins=False).rules:
        for text in (*rule.pattern_texts, *rule.partial_texts, *rule.exclude_texts):
            assert derived.known_factors(text)[0], (rule.id, text)


def test_a_pattern_missing_from_the_shipped_table_is_parsed_at_run_time(
    fresh_table: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern = r'failed to find plugin "(?P<plugin>[^"]+)" in path'  # not a catalog pattern
    monkeypatch.setattr(derived, "_table", lambda: {"factors": {}})
    parsed = parse_factors(pattern)
    assert parsed is not None
    assert match_factors(pattern) == parsed[1]
    assert match_factors("(?x) a b") is None  # verbose: its whitespace is not literal


def test_a_rule_file_edited_since_derivation_is_parsed_from_its_text(
    monkeypatch: pytest.MonkeyPatch, fresh_table: None
) -> None:
    files = builtin_rule_files()
    name, text = files[0]
    first_id = load_rules_text(text, name, user=False)[0].id
    edited = text.replace(f'id = "{first_id}"', 'id = "EDITED-AFTER-BUILD"', 1)
    assert edited != text
    monkeypatch.setattr(catalog_module, "builtin_rule_files", lambda: [(name, edited), *files[1:]])
    ids = [r.id for r in load_catalog(plugins=False).rules]
    assert "EDITED-AFTER-BUILD" in ids
    assert first_id not in ids


def test_a_pattern_the_file_does_not_hold_is_derived_at_run_time(fresh_table: None) -> None:
    pattern = r"(packaged|shipped) 1"
    assert derived.known_needles(pattern) == (False, None)
    assert needles_of(pattern) == required_literals(pattern) == {"packaged", "shipped"}


def test_a_table_of_another_version_is_ignored_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch, fresh_table: None
) -> None:
    expected = load_catalog(plugins=False).rules
    monkeypatch.setattr(derived, "VERSION", derived.VERSION + 1)
    derived._table.cache_clear()
    name, text = builtin_rule_files()[0]
    assert derived.parsed_rule_file(name, text) is None
    assert derived.known_needles(expected[0].pattern_texts[0]) == (False, None)
    assert load_catalog(plugins=False).rules == expected
