"""Candidate rows for each rule, found by one vectorised multi-literal pass over the event frame.

Every catalog pattern needs some literal text to match (``already exists``, ``Unauthorized``).
:func:`required_literals` reads those fragments from the pattern's syntax tree: a set of strings
of which every match contains at least one. A row none of whose texts holds any fragment of a
rule (compared without case, with Aho-Corasick in polars) cannot match it, so regexes and Python
objects are spent only on the few rows that can. The selection must never lose a match:

* fragments are cut at quotes, backslashes and white space, because the texts rules see may be
  unquoted, unescaped or unwrapped forms of the stored columns;
* rows whose text holds a newline, a backtick or ``**`` (pasted or wrapped text that
  normalisation rewrites), or a trigger the normalisation declares, are always candidates;
* a pattern whose fragments cannot be read (syntax of the ``regex`` module that the standard
  parser does not know, or fragments shorter than :data:`MIN_LITERAL`) selects every row.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.lazyre import lazy

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.catalog import Rule

#: fragments shorter than this select too many rows to be worth a pass
MIN_LITERAL: Final = 3
#: characters a fragment is cut at (see the module docstring)
_CUT: Final = lazy(r"[\"'\\\n\t`*]+")
#: text columns of the event frame that rules read
TEXT_COLUMNS: Final = ("error", "message", "raw")
#: substrings that make a row a candidate of every rule (texts that normalisation rewrites)
ALWAYS: Final = ("\n", "`", "**")

Factor = frozenset[str]


def _best(options: list[Factor]) -> Factor | None:
    """The most selective alternative set: longest shortest fragment, then fewest fragments."""
    usable = [o for o in options if o and min(len(s) for s in o) >= MIN_LITERAL]
    if not usable:
        return None
    return max(usable, key=lambda o: (min(len(s) for s in o), -len(o)))


def _seq(items: Any) -> Factor | None:
    """The most selective required fragment set of a parsed sequence (``re._parser`` items)."""
    return _best(_all_factors(items))


def required_literals(pattern: str) -> Factor | None:
    """Fragments one of which every match of ``pattern`` contains; ``None`` when unknown.

    Read without case: the caller compares without case too.
    """
    from re import _parser  # type: ignore[attr-defined]

    try:
        tree = _parser.parse(pattern)
    except Exception:  # regex-module syntax the standard parser does not read: no narrowing
        return None
    if tree.state.flags & re.VERBOSE:
        return None
    return _seq(list(tree))


def _all_factors(items: Any) -> list[Factor]:
    """Every fragment set a match of the parsed sequence must hold (one of each set)."""
    from re import _constants as c  # type: ignore[attr-defined]

    out: list[Factor] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            parts = [p for p in _CUT.split("".join(run)) if p]
            out.extend(frozenset({p}) for p in parts)
            run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is c.SUBPATTERN:
            out.extend(_all_factors(av[-1]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            if av[0] >= 1:
                out.extend(_all_factors(av[2]))
        elif op is c.BRANCH:
            alts = [_seq(b) for b in av[1]]
            if alts and all(alts):
                out.append(frozenset().union(*[a for a in alts if a]))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.extend(_all_factors(av))
    flush()
    return out


def parse_factors(pattern: str) -> tuple[int, list[Factor]] | None:
    """The standard parser's flags for ``pattern`` and every fragment set a match must hold
    (one of each set), in match order; ``None`` when it cannot read it (regex-module syntax)."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        tree = _parser.parse(pattern)
    except Exception:  # regex-module syntax the standard parser does not read
        return None
    return int(tree.state.flags), _all_factors(list(tree))


def match_factors(pattern: str, refuse: int = re.VERBOSE) -> list[Factor] | None:
    """:func:`parse_factors`'s fragment sets of ``pattern`` (shipped for the packaged catalog's
    patterns, :mod:`multus_forensics.classify.derived`); ``None`` when unreadable or the pattern
    sets a flag in ``refuse`` (verbose: its whitespace is not literal)."""
    from multus_forensics.classify.derived import known_factors

    found, parsed = known_factors(pattern)
    if not found:
        parsed = parse_factors(pattern)
    if parsed is None or parsed[0] & refuse:
        return None
    return parsed[1]


@functools.lru_cache(maxsize=4096)
def pattern_factors(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Lower-cased fragment sets every match of ``pattern`` holds, one of each set: a text
    lacking one of them cannot match, which a substring test tells far faster than a search.

    Only ASCII fragments are kept, and callers test only ASCII texts, so that lower-casing
    means the same on both sides as the pattern's own case rules; empty when unknown.
    """
    found: dict[tuple[str, ...], None] = {}
    for factor in match_factors(pattern) or ():
        if factor and all(f.isascii() for f in factor):
            found.setdefault(tuple(sorted(f.lower() for f in factor)))
    return tuple(found)


#: an inline flag group that turns case-insensitive matching on (``(?i)``, ``(?si:...)``)
_CASELESS: Final = lazy(r"\(\?[a-zA-Z-]*[if]")


@functools.lru_cache(maxsize=4096)
def exact_factors(pattern: str) -> tuple[str, ...]:
    """Fragments with a capital letter that every match of a case-sensitive ``pattern`` holds
    as written: a row whose stored texts lack one, in that case, cannot match.

    Texts reach rules unescaped, unwrapped and, where their case was visibly changed, lowered
    (:mod:`multus_forensics.classify.normalise`); none of that makes a capital letter. A pattern
    with a case-insensitive flag has none; only single ASCII fragments are kept.
    """
    if _CASELESS.search(pattern):
        return ()
    found: dict[str, None] = {}
    for factor in match_factors(pattern, re.VERBOSE | re.IGNORECASE) or ():
        if len(factor) == 1:
            (text,) = factor
            if text.isascii() and text != text.lower():
                found.setdefault(text)
    return tuple(found)


def literals_of(patterns: Iterable[str]) -> Factor | None:
    """Fragments for "any of ``patterns`` matches": the union, ``None`` if one is unknown."""
    out: set[str] = set()
    for p in patterns:
        lit = needles_of(p)
        if lit is None:
            return None
        out |= lit
    return frozenset(out)


def always() -> tuple[str, ...]:
    """Substrings that make a row a candidate of every rule: :data:`ALWAYS` plus the triggers of
    the text normalisation, when the classifier has one."""
    import importlib

    try:
        extra = importlib.import_module("multus_forensics.classify.normalise").TRIGGERS
    except (ImportError, AttributeError):
        extra = ()
    # fragments are already cut at escapes and quotes: unescaping cannot create one
    return (*ALWAYS, *(t for t in extra if not _CUT.fullmatch(t)))


#: above this many literal characters a fragment test uses the Aho-Corasick automaton (the
#: regex engine's compiled size grows with the literals; a user catalog can be large)
_ALTERNATION_CHARS: Final = 16_384


def _rust_literal(text: str) -> str:
    """``text`` as a literal of the Rust regex syntax polars compiles: ASCII other than letters
    and digits as ``\\x{..}`` escapes (never a metacharacter), the rest as it is."""
    return "".join(c if c.isalnum() or not c.isascii() else f"\\x{{{ord(c):02x}}}" for c in text)


def holds_any(text: pl.Expr, needles: Iterable[str]) -> pl.Expr:
    """Whether ``text`` holds one of ``needles``, ASCII case-insensitively (null: false).

    One regular expression of escaped literals, case folded for ASCII only (``(?i-u)``), is the
    same test as ``contains_any(needles, ascii_case_insensitive=True)`` and about twice as fast
    on log text: the regex engine's literal prefilter skips most bytes of a line.
    """
    import polars as pl

    found = sorted(set(needles))
    if not found:
        return pl.lit(False)
    if sum(map(len, found)) > _ALTERNATION_CHARS:
        return text.str.contains_any(found, ascii_case_insensitive=True).fill_null(False)
    alternation = "(?i-u)(?:" + "|".join(map(_rust_literal, found)) + ")"
    return text.str.contains(alternation).fill_null(False)


def text_mask(needles: Iterable[str]) -> pl.Expr:
    """Rows where a text column holds one of ``needles`` (case-insensitive), or an always-row."""
    import polars as pl

    found = {*needles, *always()}
    return pl.any_horizontal([holds_any(pl.col(c), found) for c in TEXT_COLUMNS])


def small_text_mask(rows: pl.DataFrame, needles: Iterable[str]) -> pl.Series:
    """:func:`text_mask` of a small frame's rows, answered in Python: the polars automaton of
    a whole catalog's fragments costs the same to build for 5 rows as for 5 million, and was
    the largest part of diagnosing a 5-line file after the imports. Same ASCII case folding,
    a null text holds nothing; ``tests/test_classify_select.py`` checks both agree."""
    import polars as pl

    found = [n.translate(_ASCII_FOLD) for n in {*needles, *always()}]
    keep = [
        any(n in t.translate(_ASCII_FOLD) for t in texts if t is not None for n in found)
        for texts in rows.select(TEXT_COLUMNS).iter_rows()
    ]
    return pl.Series("_keep", keep, dtype=pl.Boolean)


#: ASCII-only case folding, as ``contains_any(..., ascii_case_insensitive=True)`` compares
_ASCII_FOLD: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
#: frames of at most this many rows have their candidates answered in Python (:func:`small_frame`)
SMALL_FRAME: Final = 256


def small_frame(
    frame: pl.DataFrame, needles: Factor | None, rules: Iterable[Rule], error_rows: pl.Expr
) -> dict[tuple[str, bool], list[int]]:
    """:func:`candidates_by_rule` of the ``rules`` whose fragments are among the context's
    ``needles``, over the whole of a small ``frame`` (rows holding no needle select no rule, so
    the pre-filter pass is not needed either); ``error_rows`` marks the rows that may carry an
    error. Empty without ``needles``: the rules are then selected one query at a time."""
    if needles is None:
        return {}
    eligible = [r for r in rules if (own := rule_needles(r)) is not None and own <= needles]
    rows = frame.with_row_index("_pos").with_columns(error_rows.fill_null(False).alias("_err"))
    return candidates_by_rule(rows, eligible)


def candidates_by_rule(
    rows: pl.DataFrame, rules: Iterable[Rule]
) -> dict[tuple[str, bool], list[int]]:
    """Candidate positions of each rule on a small pre-filtered frame, answered in Python.

    ``rows`` holds ``_pos``, ``kind``, ``_err`` (the rows that may carry an error) and the
    :data:`TEXT_COLUMNS`. The key is (rule id, errors only), as ``Context.candidates`` asks.
    Each rule's :func:`text_mask` is a polars automaton of its own, whose building costs the
    same for 3 rows as for 3 million: 200 of them took longer than the rest of diagnosing a
    5-line file. Here each row's texts are tested once against every needle instead, with the
    same ASCII case folding; ``tests/test_classify_select.py`` checks both agree.
    """
    wanted = [(r, {n.translate(_ASCII_FOLD) for n in rule_needles(r) or ()}) for r in rules]
    every = set().union(*(needles for _, needles in wanted))
    anyway = [n.translate(_ASCII_FOLD) for n in always()]
    out: dict[tuple[str, bool], list[int]] = {}
    for r, _ in wanted:
        out[(r.id, False)] = []
        out[(r.id, True)] = []
    columns = ("_pos", "kind", "_err", *TEXT_COLUMNS)
    for pos, kind, err, *texts in rows.select(columns).iter_rows():
        folded = [(t or "").translate(_ASCII_FOLD) for t in texts]
        every_rule = any(n in t for n in anyway for t in folded)
        found = set() if every_rule else {n for n in every if any(n in t for t in folded)}
        for r, needles in wanted:
            if r.kinds and kind not in r.kinds:
                continue
            if every_rule or not needles.isdisjoint(found):
                out[(r.id, False)].append(int(pos))
                if err:
                    out[(r.id, True)].append(int(pos))
    return out


@functools.lru_cache(maxsize=1024)
def pattern_needles(patterns: tuple[str, ...]) -> Factor | None:
    """Fragments one of which a match of any of ``patterns`` holds (``None``: unknown)."""
    return literals_of(patterns)


@functools.lru_cache(maxsize=4096)
def needles_of(pattern: str) -> Factor | None:
    """:func:`required_literals` of ``pattern``, read from the packaged catalog's derived file
    when it holds the pattern (:mod:`multus_forensics.classify.derived`)."""
    from multus_forensics.classify.derived import known_needles

    found, needles = known_needles(pattern)
    return needles if found else required_literals(pattern)


def rule_needles(rule: Rule) -> Factor | None:
    """Fragments one of which a match of ``rule`` holds, from its pattern texts (read without
    compiling them: a rule no row is a candidate for is never compiled)."""
    return pattern_needles(rule.pattern_texts)


#: one factor of a clause: fragments one of which a row holds, and whether the case must match
Clause = tuple[tuple[frozenset[str], bool], ...]


def rule_clauses(rule: Rule) -> tuple[Clause, ...]:
    """Candidate conditions of ``rule`` over the stored text columns: a row can match only if,
    for one clause, it holds a fragment of each of the clause's factors.

    A clause per pattern, with every fragment (of :data:`MIN_LITERAL` characters or more) its
    matches hold. That needs the row to hold what the rule's texts hold, without case: true of
    rows with no always-fragment (their texts differ from the columns only by case and wraps,
    see :mod:`multus_forensics.classify.normalise`), and always-rows are candidates anyway. A
    rule that also matches truncated text (``partial``) gets a clause per decisive fragment,
    which such a match holds. A rule with a pattern whose fragments cannot be read keeps the
    one-factor clause of :func:`rule_needles`. Fragments with a capital letter of a
    case-sensitive pattern are also factors compared with case (:func:`exact_factors`).
    """
    best = rule_needles(rule)
    fallback: tuple[Clause, ...] = (((best, False),),) if best else ()
    clauses = []
    # a partial match holds one of the decisive fragments: each is a clause of its own
    for text in (*rule.pattern_texts, *rule.partial_texts):
        factors = tuple(
            (frozenset(alts), False)
            for alts in pattern_factors(text)
            if min(len(a) for a in alts) >= MIN_LITERAL
        )
        if not factors:
            return fallback
        exact = tuple((frozenset({f}), True) for f in exact_factors(text) if len(f) >= MIN_LITERAL)
        clauses.append(factors + exact)
    return tuple(clauses)


def rule_kinds(rule: Rule) -> pl.Expr:
    import polars as pl

    return pl.col("kind").is_in(list(rule.kinds)) if rule.kinds else pl.lit(True)


def catalog_needles(rules: Iterable[Rule], markers: Iterable[str] = ()) -> Factor:
    """Every fragment the rules (and predicate ``markers`` patterns) can be selected by."""
    out: set[str] = set()
    for rule in rules:
        out |= rule_needles(rule) or set()
    for pattern in markers:
        out |= pattern_needles((pattern,)) or set()
    return frozenset(out)
