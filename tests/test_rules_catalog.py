"""The rule catalog as data: coverage of the taxonomy, examples both ways, strict loading, safe patterns."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from multus_forensics.classify import LABELS, load_catalog
from multus_forensics.classify.catalog import load_rules_text
from multus_forensics.classify.examples import check_examples, fires
from multus_forensics.errors import RuleError

CORPUS = Path(__file__).resolve().parent / "data" / "corpus_dev.jsonl"

MINIMAL = """
[[rule]]
id = "USER-1"
title = "t"
root_cause = "nad_not_found"
severity = "error"
patterns = ['my NAD is gone']
confidence = 0.5
explanation = "x"
examples = ['my NAD is gone']
"""


def test_every_taxonomy_label_except_unknown_has_a_rule() -> None:
    catalog = load_catalog()
    assert catalog.labels() == set(LABELS)
    assert "unknown" not in catalog.labels()


def test_labels_are_the_package_taxonomy_and_cover_the_labelled_corpus() -> None:
    import json

    from multus_forensics.classify.taxonomy import DEFINITIONS, UNKNOWN

    assert set(DEFINITIONS) - {UNKNOWN} == set(LABELS)
    assert all(text.endswith(".") for text in DEFINITIONS.values())
    corpus = {json.loads(line)["root_cause"] for line in CORPUS.read_text("utf-8").splitlines()}
    assert corpus <= set(DEFINITIONS)


def test_every_rule_example_matches_and_no_counter_example_does() -> None:
    catalog = load_catalog()
    assert check_examples(catalog) == []
    assert all(rule.examples and rule.counter_examples for rule in catalog.rules)


def test_rule_ids_are_unique_and_stable_looking() -> None:
    ids = [r.id for r in load_catalog().rules]
    assert len(ids) == len(set(ids))
    assert all(i.replace("-", "").isalnum() and i.upper() == i for i in ids)


def test_unknown_key_is_rejected_with_file_and_rule_id() -> None:
    text = MINIMAL.replace('title = "t"', 'title = "t"\nconfidense = 0.3')
    with pytest.raises(RuleError, match=r"mine\.toml: rule USER-1: unknown key 'confidense'"):
        load_rules_text(text, "mine.toml")


def test_bad_pattern_is_rejected_with_file_and_rule_id() -> None:
    text = MINIMAL.replace("patterns = ['my NAD is gone']", "patterns = ['(unclosed']")
    with pytest.raises(RuleError, match=r"mine\.toml: rule USER-1: bad pattern"):
        load_rules_text(text, "mine.toml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('root_cause = "nad_not_found"', 'root_cause = "gremlins"', "root_cause 'gremlins'"),
        ('severity = "error"', 'severity = "dire"', "severity 'dire'"),
        ("confidence = 0.5", "confidence = 1.5", "confidence must be"),
        (
            "confidence = 0.5",
            'confidence = 0.5\nrequires = ["no_such_predicate"]',
            "unknown predicate",
        ),
        ('explanation = "x"', "", "missing key 'explanation'"),
        (
            "confidence = 0.5",
            'confidence = 0.5\ngeneric = "yes"',
            "'generic' must be true or false",
        ),
    ],
)
def test_invalid_rule_fields_are_rejected(old: str, new: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rules_text(MINIMAL.replace(old, new), "mine.toml")


def test_adjustment_needs_exactly_one_condition() -> None:
    text = MINIMAL.replace(
        "confidence = 0.5", 'confidence = 0.5\nraise = [{ by = 0.1, why = "nothing" }]'
    )
    with pytest.raises(RuleError, match="exactly one of 'predicate' or 'pattern'"):
        load_rules_text(text, "mine.toml")


def test_top_level_keys_other_than_rule_are_rejected() -> None:
    with pytest.raises(RuleError, match="unknown top-level key 'rules'"):
        load_rules_text(MINIMAL.replace("[[rule]]", "[[rules]]"), "mine.toml")


def test_user_rule_file_extends_the_catalog(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    catalog = load_catalog(path)
    rule = catalog.by_id("USER-1")
    assert rule.user
    assert rule.source == str(path)
    assert len(catalog) == len(load_catalog()) + 1


def test_user_rule_with_a_taken_id_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(MINIMAL.replace("USER-1", "PLUGIN-NOT-FOUND"), encoding="utf-8")
    with pytest.raises(RuleError, match="duplicate id"):
        load_catalog(path)


def test_unreadable_rule_file_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="cannot read rule file"):
        load_catalog(tmp_path / "absent.toml")


def test_user_pattern_with_catastrophic_backtracking_times_out() -> None:
    text = MINIMAL.replace("patterns = ['my NAD is gone']", "patterns = ['(a+)+$']")
    rule = load_rules_text(text.replace("examples = ['my NAD is gone']", ""), "evil.toml")[0]
    start = time.perf_counter()
    assert rule.first_match("a" * 40 + "!") is None
    assert time.perf_counter() - start < 5


def _adversarial(pattern: str) -> list[str]:
    """Long lines of repeated near-matches: fragments of the pattern's own literals."""
    import re

    literals = list(re.findall(r"[A-Za-z][A-Za-z ]{3,}", pattern)) or ["error"]
    chunks = []
    for lit in literals:
        chunks.append(lit[: max(1, len(lit) - 1)])
        chunks.append(lit + " ")
    noise = " ".join(chunks)
    return [
        (noise + " ") * (100_000 // (len(noise) + 1) + 1),
        '"' + ": [" * 30_000,
        "a" * 100_000,
        " " * 100_000 + "!",
        ('[x/y:z]: error adding container to network "n": ' * 2000),
    ]


def test_every_catalog_pattern_is_fast_on_long_adversarial_lines() -> None:
    slow = []
    for rule in load_catalog().rules:
        for pattern in (*rule.patterns, *rule.exclude):
            for text in _adversarial(pattern.pattern):
                start = time.perf_counter()
                pattern.search(text)
                took = time.perf_counter() - start
                if took > 1.0:
                    slow.append((rule.id, pattern.pattern[:60], round(took, 2)))
    assert slow == []


def test_examples_helper_distinguishes_matching_from_non_matching_text() -> None:
    rule = load_catalog().by_id("PLUGIN-NOT-FOUND")
    assert fires(rule, 'failed to find plugin "macvlan" in path [/opt/cni/bin]')
    assert not fires(rule, "failed to find the plugin somewhere")


def test_rule_files_from_installed_plugins_join_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution on ``sys.path`` whose entry points name the group: found by the cheap
    look at ``entry_points.txt`` files and loaded through :mod:`importlib.metadata`."""
    from multus_forensics.classify.catalog import plugins_possible

    path = tmp_path / "vendor.toml"
    path.write_text(MINIMAL.replace("USER-1", "VENDOR-1"), encoding="utf-8")
    site = tmp_path / "site"
    info = site / "vendor_rules-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "vendor_rules.py").write_text(f"def files():\n    return [{str(path)!r}]\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vendor-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[multus_forensics.rules]\nvendor = vendor_rules:files\n", encoding="utf-8"
    )
    assert not plugins_possible()  # no installed package names the group
    monkeypatch.syspath_prepend(str(site))
    assert plugins_possible()
    assert load_catalog().by_id("VENDOR-1").source == str(path)
    with pytest.raises(KeyError):
        load_catalog(plugins=False).by_id("VENDOR-1")


def test_plugins_are_looked_for_through_importlib_when_sys_path_holds_a_zip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip on ``sys.path`` may hold a plugin's metadata: the cheap look answers yes."""
    import zipfile

    from multus_forensics.classify.catalog import plugins_possible

    archive = tmp_path / "packages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("empty.txt", "")
    assert not plugins_possible()
    monkeypatch.syspath_prepend(str(archive))
    assert plugins_possible()


def test_plugins_are_looked_for_through_importlib_beside_another_metadata_finder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finder of another kind may know distributions no folder shows: the cheap look
    answers yes and :mod:`importlib.metadata` decides."""
    import sys

    from multus_forensics.classify.catalog import plugins_possible

    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    assert not plugins_possible()
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert plugins_possible()


def test_explanation_placeholders_are_context_facts_or_named_groups() -> None:
    import string

    facts = {"pod", "network", "interface", "node"}
    for rule in load_catalog().rules:
        groups = {g for p in rule.patterns for g in p.groupindex}
        used = {name for _, name, _, _ in string.Formatter().parse(rule.explanation) if name}
        assert used <= facts | groups, (rule.id, used - facts - groups)


def test_partial_fragments_must_compile() -> None:
    text = MINIMAL.replace("confidence = 0.5", "confidence = 0.5\npartial = ['(unclosed']")
    with pytest.raises(RuleError, match="bad pattern in partial"):
        load_rules_text(text, "mine.toml")


def test_packaged_rules_are_compiled_only_when_a_row_is_a_candidate(tmp_path: Path) -> None:
    from multus_forensics.classify import diagnose

    catalog = load_catalog()
    assert not any("patterns" in vars(rule) for rule in catalog.rules)
    log = tmp_path / "kubelet.log"
    log.write_text(
        'E0311 14:02:07.418552    2231 pod_workers.go:1298] "Error syncing pod" '
        'err="failed to create macvlan: device or resource busy" pod="lab/probe-1"\n',
        encoding="utf-8",
    )
    diagnosis = diagnose(str(log), catalog=catalog, year=2026)
    compiled = {rule.id for rule in catalog.rules if "patterns" in vars(rule)}
    assert {f.rule for f in diagnosis.findings} <= compiled
    assert 0 < len(compiled) < len(catalog.rules) // 4


def test_a_bad_packaged_pattern_fails_at_first_use_naming_file_and_rule() -> None:
    text = MINIMAL.replace("patterns = ['my NAD is gone']", "patterns = ['(unclosed']")
    (rule,) = load_rules_text(text, "rules/mine.toml", user=False)  # read, not compiled
    with pytest.raises(RuleError, match=r"rules/mine\.toml: rule USER-1: bad pattern"):
        rule.first_match("my NAD is gone")


@pytest.mark.parametrize(
    ("key", "entry"),
    [
        ("exclude", "exclude = ['(unclosed']"),
        ("raise", "raise = [{ pattern = '(unclosed', by = 0.1 }]"),
        ("lower", "lower = [{ pattern = '(unclosed', by = 0.1 }]"),
    ],
)
def test_every_bad_user_pattern_fails_at_load(key: str, entry: str) -> None:
    text = MINIMAL.replace("confidence = 0.5", f"confidence = 0.5\n{entry}")
    with pytest.raises(RuleError, match=rf"mine\.toml: rule USER-1: bad pattern in {key}"):
        load_rules_text(text, "mine.toml")


def test_every_packaged_pattern_compiles() -> None:
    for rule in load_catalog().rules:
        rule.compiled()  # patterns, exclude, partial and raise/lower patterns
        assert len(rule.patterns) == len(rule.pattern_texts)


def _cut_texts() -> list[str]:
    """Every packaged example and counter-example, whole and cut at several places (with and
    without a cut mark), with escaping that hides a decisive fragment's next character."""
    texts: list[str] = []
    for rule in load_catalog(()).rules:
        for example in (*rule.examples, *rule.counter_examples):
            for text in (example, example.replace('"', '\\"'), example.upper()):
                for cut in range(20, len(text) + 1, 7):
                    texts += [text[:cut], text[:cut] + "...", text[:cut] + "…"]
    return texts


def test_the_decisive_fragment_pretest_refuses_only_what_the_partial_search_refuses() -> None:
    texts = _cut_texts()
    checked = 0
    for rule in load_catalog(()).rules:
        if not rule.partial_texts:
            continue
        assert rule._decisive_anywhere, rule.id
        plain = load_catalog(()).by_id(rule.id)
        plain.__dict__["_decisive_anywhere"] = False  # the partial search on every text
        for text in texts:
            got, want = rule._partial_match(text), plain._partial_match(text)
            assert (got and (got.span(), got.group())) == (want and (want.span(), want.group()))
            checked += want is not None
    assert checked > 0


@pytest.mark.parametrize("decisive", [r"^failed to find", r"plugin\b", r"(?i)failed", r"a(?=b)"])
def test_a_decisive_fragment_that_reads_its_context_is_not_searched_alone(decisive: str) -> None:
    text = f"""
[[rule]]
id = "USER-X"
title = "x"
root_cause = "cni_plugin_not_installed"
severity = "error"
patterns = ['failed to find plugin (?P<plugin>\\w+) in paths \\[(?P<path>[^\\]]*)\\]']
partial = ['''{decisive}''']
confidence = 0.5
explanation = "x"
"""
    (rule,) = load_rules_text(text, "test.toml", user=False)
    assert not rule._decisive_anywhere


def test_matching_without_the_fragment_pretest_gives_the_same_match() -> None:
    texts = _cut_texts()
    matched = 0
    for rule in load_catalog(()).rules:
        for text in texts:
            got, want = rule.first_match(text, pretest=False), rule.first_match(text)
            assert (got and (got.span(), got.group(), bool(got.partial))) == (
                want and (want.span(), want.group(), bool(want.partial))
            ), (rule.id, text)
            matched += want is not None
    assert matched > 0
