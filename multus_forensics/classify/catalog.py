"""The rule catalog: TOML files under ``multus_forensics/rules`` (plus user files) as frozen rules.

Rules are data so that a new signature is a reviewed text change, not code. Loading is strict:
an unknown key, a label outside the taxonomy, a predicate nobody implemented or a pattern that
does not compile is an error naming the file and the rule id, because a silently ignored typo in
a rule is a silently wrong diagnosis. Catalog patterns are compiled with the ``regex`` module and
tested against adversarial input; user patterns are additionally matched with a timeout.

User patterns are compiled when their file is loaded, so a bad one fails before any analysis.
The packaged catalog's patterns (every one compiled by the test suite) are compiled on first
use instead: a run compiles only the rules some row is a candidate for (compiling all 150-odd
cost more than parsing a small file), and the packaged files are read from their parsed form in
``rules/derived.json`` while their hashes match (:mod:`multus_forensics.classify.derived`).

A rule file holds ``[[rule]]`` tables (write regexes as TOML literal strings):

=================  =========================================================================
key                meaning
=================  =========================================================================
id, title          stable identifier (``AREA-WHAT``) and one-line title
root_cause         a TAXONOMY.md label (never ``unknown``: when no rule fires, we abstain)
severity           ``info`` / ``warning`` / ``error`` / ``critical`` (``--fail-on`` compares it)
target             ``error`` (events carrying an error, default), ``event`` (any event's text)
                   or ``stream`` (a file's records joined, for configs split over lines)
layer              ``any`` (default), ``leaf``, or a chain layer kind (``multus``, ``libcni``...):
                   the patterns then see the error from that layer inward
kinds, op          restrict to event kinds, and to ``add`` / ``del`` operations
patterns, exclude  any pattern matches (named groups feed the explanation), unless an exclude does
requires, forbids  named predicates (``multus_forensics.classify.predicates.PREDICATES``)
confidence         base confidence in (0, 1]
raise, lower       ``[{predicate = "..." | pattern = '...', by = 0.2, why = "..."}]``
explanation        plain-language paragraph; ``{pod}``, ``{network}``, ``{interface}``, ``{node}``
                   and the patterns' named groups are filled in
remediation        list of steps; ``references``: list of URLs
examples           logs (one event per line) that must fire the rule; counter_examples must not
partial            decisive fragments (regexes): a text cut short inside a pattern (a
                   truncated excerpt) matches when what survives of the match holds one of
                   them (and at least :data:`MIN_PARTIAL` characters, ending where the text ends)
discriminators     ``[{against = LABEL, check = "command", outcomes = [{when = "...", means =
                   "..."}]}]``: when a finding of ``against`` is also present (same surface
                   signature), the check that tells them apart and what each outcome means
generic            ``true`` when the signature is written without Multus too (libcni, a
                   runtime): its finding keeps its confidence on a node that shows no sign of
                   Multus, where causes that only exist with Multus are capped (default false)
=================  =========================================================================

Installed packages can contribute rule files through the ``multus_forensics.rules`` entry-point
group: the entry point loads to a path, a list of paths, or a callable returning either.
"""

from __future__ import annotations

import string
import time
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Final

import regex

from multus_forensics.chain import KINDS as CHAIN_LAYER_KINDS
from multus_forensics.classify.findings import Discriminator
from multus_forensics.classify.normalise import Skeleton, holds_in_order, pattern_skeleton
from multus_forensics.classify.taxonomy import LABELS as TAXONOMY_LABELS
from multus_forensics.classify.taxonomy import UNKNOWN as TAXONOMY_UNKNOWN
from multus_forensics.errors import RuleError
from multus_forensics.lazyre import lazy_regex

#: Root-cause labels (a public contract), plus ``unknown`` which has no rule.
LABELS: Final = TAXONOMY_LABELS
UNKNOWN: Final = TAXONOMY_UNKNOWN

SEVERITIES: Final[tuple[str, ...]] = ("info", "warning", "error", "critical")
#: where a rule looks: error-carrying events, any event, or the messages of one file joined
#: in order (for configs and messages split over records or lines)
TARGETS: Final[tuple[str, ...]] = ("error", "event", "stream")
#: which part of an unwrapped chain the patterns run on: every text of the event, the leaf, or
#: the error from the outermost layer of that kind inward (multus_forensics.chain layer kinds)
LAYERS: Final[tuple[str, ...]] = ("any", *CHAIN_LAYER_KINDS)
OPS: Final[tuple[str, ...]] = ("any", "add", "del")

#: shortest prefix of a decisive pattern that a truncated text may match (``partial = true``)
MIN_PARTIAL: Final = 30
#: a pattern that matches a text's substring alike wherever that substring stands: literal
#: characters, classes without negation, ``\w\d\s`` and their negations, escaped punctuation,
#: plain groups; no anchor, boundary, look-around or inline flag
_CONTEXT_FREE: Final = lazy_regex(r"(?:[^\\^$(]|\\[wdsWDS]|\\[^A-Za-z0-9]|\((?!\?))*")
#: what a paste shows where it was cut
_CUT_MARKS: Final = ("...", "…", "[truncated]", "(truncated)")


def _without_cut_mark(text: str) -> str:
    """``text`` without trailing white space and one trailing cut mark (string operations: this
    runs for every candidate text of a partial rule)."""
    body = text.rstrip()
    for mark in _CUT_MARKS:
        if body.endswith(mark):
            return body[: -len(mark)].rstrip()
    return body


#: timeout (seconds) for one user-pattern search; catalog patterns are proven safe by tests
USER_PATTERN_TIMEOUT: Final = 0.25
#: a user rule's budget per run: seconds of regex matching in all, and searches cut by the
#: timeout; past either the rule's remaining searches are skipped and the rule is named in
#: ``Diagnosis.exhausted_rules`` (a rule with ``(a|aa)+$`` over 2,000 long lines took > 5 min)
RULE_SECONDS: Final = 2.0
RULE_TIMEOUTS: Final = 3
#: a user rule file larger than this is refused (``--rules /dev/zero`` read without bound)
MAX_RULE_FILE_BYTES: Final = 4 * 1024**2


@dataclass
class RegexBudget:
    """One time and count budget per user rule for one run (a :func:`diagnose` call).

    Each search gets the per-search timeout or what is left of the rule's seconds, whichever is
    less; a search cut short counts against ``timeouts``. A rule whose searches were cut at
    least once is listed in :attr:`exhausted` (its hits may be incomplete); once it is out of
    time or count its searches return no match without running.
    """

    seconds: float = RULE_SECONDS
    timeouts: int = RULE_TIMEOUTS
    spent: dict[str, float] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)

    @property
    def exhausted(self) -> list[str]:
        """Ids of the rules whose searches were cut, in the order it first happened."""
        return list(self.cut)

    def search(
        self, rule_id: str, pattern: regex.Pattern[str], text: str
    ) -> regex.Match[str] | None:
        spent = self.spent.get(rule_id, 0.0)
        left = self.seconds - spent
        if left <= 0 or self.cut.get(rule_id, 0) >= self.timeouts:
            return None
        start = time.perf_counter()
        try:
            return pattern.search(text, timeout=min(USER_PATTERN_TIMEOUT, left))
        except TimeoutError:
            self.cut[rule_id] = self.cut.get(rule_id, 0) + 1
            return None
        finally:
            self.spent[rule_id] = spent + time.perf_counter() - start
            if self.spent[rule_id] >= self.seconds:
                self.cut.setdefault(rule_id, 0)

    def start(self) -> None:
        """Make this the budget user rules consult in this context (thread, task)."""
        _BUDGET.set(self)

    def finish(self) -> list[str]:
        """Stop consulting this budget; the ids of the rules it cut."""
        if _BUDGET.get() is self:
            _BUDGET.set(None)
        return self.exhausted


_BUDGET: ContextVar[RegexBudget | None] = ContextVar("regex_budget", default=None)


def start_budget() -> RegexBudget:
    """A fresh :class:`RegexBudget` for one run, consulted by every user rule until finished."""
    budget = RegexBudget()
    budget.start()
    return budget


class _SafeFill(string.Formatter):
    """Fills ``{name}`` fields only: attribute and index lookups, conversions and format specs in
    rule text are refused at load (``{group.__class__.__mro__}`` would reach interpreter
    internals, ``{pod:>999999999}`` would allocate a gigabyte)."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        value = kwargs.get(key) if isinstance(key, str) else None
        return value if value else "(not named in the logs)"

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        return self.get_value(field_name, args, kwargs), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(value)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value


def _check_template(where: str, text: str) -> str:
    """``text`` when its ``{...}`` fields are plain names; a :class:`RuleError` otherwise."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise _fail(where, f"bad explanation template: {exc}") from exc
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise _fail(
                where,
                f"explanation field {shown} is not a plain name: only {{name}} fields are filled "
                "(no attribute, index, conversion or format spec)",
            )
    return text


_RULE_KEYS: Final = frozenset(
    {
        "id",
        "title",
        "root_cause",
        "severity",
        "target",
        "layer",
        "kinds",
        "op",
        "patterns",
        "exclude",
        "requires",
        "forbids",
        "confidence",
        "raise",
        "lower",
        "explanation",
        "remediation",
        "references",
        "examples",
        "counter_examples",
        "discriminators",
        "partial",
        "generic",
    }
)
_DISCRIMINATOR_KEYS: Final = frozenset({"against", "check", "outcomes"})
_ADJUST_KEYS: Final = frozenset({"predicate", "pattern", "by", "why"})
_REQUIRED: Final = (
    "id",
    "title",
    "root_cause",
    "severity",
    "patterns",
    "confidence",
    "explanation",
)


@dataclass(frozen=True)
class Adjust:
    """A context condition that raises or lowers a rule's confidence by ``by``."""

    by: float
    why: str
    predicate: str | None = None
    pattern_text: str | None = None
    #: (where, key) named by a compile error of :attr:`pattern_text`
    origin: tuple[str, str] = field(default=("", "pattern"), compare=False, repr=False)

    @cached_property
    def pattern(self) -> regex.Pattern[str] | None:
        """:attr:`pattern_text` compiled (on first use for packaged rules)."""
        if self.pattern_text is None:
            return None
        return _compile(*self.origin, self.pattern_text)


@dataclass(frozen=True)
class Rule:
    """One catalog entry: what to match, in which context, and what it means.

    Patterns are kept as text and compiled on first use (:attr:`patterns`, :attr:`exclude`,
    :attr:`partial`): a run pays only for the rules some row is a candidate for.
    """

    id: str
    title: str
    root_cause: str
    severity: str
    pattern_texts: tuple[str, ...]
    confidence: float
    explanation: str
    target: str = "error"
    layer: str = "any"
    kinds: tuple[str, ...] = ()
    op: str = "any"
    exclude_texts: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    forbids: tuple[str, ...] = ()
    raises: tuple[Adjust, ...] = ()
    lowers: tuple[Adjust, ...] = ()
    remediation: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    discriminators: tuple[Discriminator, ...] = ()
    partial_texts: tuple[str, ...] = ()
    generic: bool = False
    source: str = ""
    user: bool = False

    @property
    def where(self) -> str:
        """``file: rule ID``, as load errors name a rule."""
        return f"{self.source}: rule {self.id}"

    @cached_property
    def patterns(self) -> tuple[regex.Pattern[str], ...]:
        return tuple(_compile(self.where, "patterns", p) for p in self.pattern_texts)

    @cached_property
    def exclude(self) -> tuple[regex.Pattern[str], ...]:
        return tuple(_compile(self.where, "exclude", p) for p in self.exclude_texts)

    @cached_property
    def partial(self) -> tuple[regex.Pattern[str], ...]:
        return tuple(_compile(self.where, "partial", p) for p in self.partial_texts)

    @cached_property
    def skeletons(self) -> tuple[Skeleton, ...] | None:
        """Per pattern and partial pattern, the ordered fragments a match holds
        (:func:`~multus_forensics.classify.normalise.pattern_skeleton`): a text whose skeleton
        holds none of them cannot match, whatever variant of it is tried. ``None`` for a user
        rule, whose every search counts against its budget and so may not be skipped."""
        if self.user:
            return None
        return tuple(pattern_skeleton(p) for p in (*self.pattern_texts, *self.partial_texts))

    @property
    def matching(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """What :meth:`first_match` answers by: patterns, exclusions and partial fragments."""
        return self.pattern_texts, self.exclude_texts, self.partial_texts

    @cached_property
    def adjustments(self) -> tuple[Adjust, ...]:
        """:attr:`raises` then :attr:`lowers`, in the order they are applied."""
        return (*self.raises, *self.lowers)

    @cached_property
    def _decisive_anywhere(self) -> bool:
        """Whether a decisive match inside a partial match is one inside the whole text: true
        for a packaged rule whose ``partial`` patterns see no context (no anchor, boundary,
        look-around, flag or letter escape but ``\\w\\d\\s``), so that searching the text
        for one can refuse it first. (A user rule's every search counts against its budget.)"""
        return not self.user and all(_CONTEXT_FREE.fullmatch(p) for p in self.partial_texts)

    def compiled(self) -> Rule:
        """This rule with every pattern compiled (a :class:`RuleError` names a bad one)."""
        _ = self.patterns, self.exclude, self.partial
        for adj in (*self.raises, *self.lowers):
            _ = adj.pattern
        return self

    def search(self, pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
        """Search with a timeout for user rules (a hostile pattern must not hang a run), within
        the run's :class:`RegexBudget` when one is active."""
        if not self.user:
            return pattern.search(text)
        budget = _BUDGET.get()
        if budget is not None:
            return budget.search(self.id, pattern, text)
        try:
            return pattern.search(text, timeout=USER_PATTERN_TIMEOUT)
        except TimeoutError:
            return None

    def holds(self, pattern: regex.Pattern[str], text: str) -> bool:
        """Whether ``pattern`` is found in ``text`` (:meth:`search`, after the fragment pre-test)."""
        lowered = text.lower() if text.isascii() else None
        return _may_match(pattern, text, lowered) and self.search(pattern, text) is not None

    def explain(self, values: Mapping[str, Any]) -> str:
        """The explanation with its ``{name}`` fields filled from ``values`` (and nothing else)."""
        return _SafeFill().vformat(" ".join(self.explanation.split()), (), dict(values))

    def first_match(self, text: str, *, pretest: bool = True) -> regex.Match[str] | None:
        """The first pattern match in ``text`` unless an ``exclude`` pattern also matches.

        A rule with ``partial`` fragments also matches a text cut inside one of its patterns when
        the surviving part holds a decisive fragment (the match's ``partial`` is then true).
        ``pretest=False`` searches without first testing the fragments every match holds (same
        answer; for texts that mostly match, where the test only adds to the search).
        """
        lowered = text.lower() if pretest and text.isascii() else None
        for pattern in self.patterns:
            if pretest and not _may_match(pattern, text, lowered):
                continue  # lacks a fragment every match holds: the search cannot succeed
            m = self.search(pattern, text)
            if m is not None:
                if any(self.search(x, text) for x in self.exclude):
                    return None
                return m
        return self._partial_match(text) if self.partial else None

    def _partial_match(self, text: str) -> regex.Match[str] | None:
        body = _without_cut_mark(text)
        # a partial match holds a decisive fragment, and so its literals
        lowered = body.lower() if body.isascii() else None
        if not any(_may_match(d, body, lowered) for d in self.partial):
            return None
        if self._decisive_anywhere and not any(d.search(body) for d in self.partial):
            return None  # (one search for the decisive fragment spares the partial search)
        for pattern in self.patterns:
            try:
                m = pattern.search(
                    body, partial=True, timeout=USER_PATTERN_TIMEOUT if self.user else None
                )
            except TimeoutError:
                continue
            if (
                m is not None
                and m.partial
                and m.end() == len(body)
                and m.end() - m.start() >= MIN_PARTIAL
                and any(self.search(d, m.group()) for d in self.partial)
            ):
                if any(self.search(x, body) for x in self.exclude):
                    return None
                return m
        return None


#: pattern -> the fragments every match holds (:func:`~multus_forensics.classify.select.pattern_factors`),
#: those it holds as written, and (when more than one) the lower-cased fragment sets in the
#: order a match holds them
_FACTORS: dict[
    regex.Pattern[str],
    tuple[tuple[str | tuple[str, ...], ...], tuple[str, ...], tuple[tuple[str, ...], ...]],
] = {}


def _may_match(pattern: regex.Pattern[str], text: str, lowered: str | None) -> bool:
    """Whether ``text`` holds every fragment a match of ``pattern`` needs: those written with
    a capital letter as written (the pattern is case-sensitive), the rest in ``lowered`` (the
    text lower-cased, for ASCII texts; ``None`` skips them), in the order a match holds them.
    A substring test per fragment spares most searches: this runs per rule and text."""
    known = _FACTORS.get(pattern)
    if known is None:
        from multus_forensics.classify.select import exact_factors, match_factors, pattern_factors

        alts = pattern_factors(pattern.pattern)
        order = tuple(
            tuple(sorted({f.lower() for f in factor}))
            for factor in match_factors(pattern.pattern) or ()
            if factor and all(f.isascii() for f in factor)  # (leaving a set out only weakens)
        )
        known = _FACTORS[pattern] = (
            tuple(a[0] if len(a) == 1 else a for a in alts),
            exact_factors(pattern.pattern),
            order if len(order) > 1 else (),
        )
    factors, exact, order = known
    for fragment in exact:
        if fragment not in text:
            return False
    if lowered is None:
        return True
    for factor in factors:
        if isinstance(factor, str):
            if factor not in lowered:
                return False
        elif not any(f in lowered for f in factor):
            return False
    return not order or holds_in_order(lowered, order)


@dataclass(frozen=True)
class Catalog:
    """All rules, in load order (built-in files sorted by name, then user files)."""

    rules: tuple[Rule, ...]
    files: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def labels(self) -> set[str]:
        return {r.root_cause for r in self.rules}


def _fail(where: str, msg: str) -> RuleError:
    return RuleError(f"{where}: {msg}")


def _pattern_text(where: str, what: str, text: Any) -> str:
    if not isinstance(text, str) or not text:
        raise _fail(where, f"{what} must be a non-empty string")
    return text


def _compile(where: str, what: str, text: Any) -> regex.Pattern[str]:
    text = _pattern_text(where, what, text)
    try:
        return regex.compile(text, regex.VERSION0)
    except regex.error as exc:
        raise _fail(where, f"bad pattern in {what} {text!r}: {exc}") from exc


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"{key!r} must be a string or a list of strings")
    return tuple(value)


def _flag(where: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"{key!r} must be true or false")
    return value


def _choice(where: str, key: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise _fail(where, f"{key} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _adjusts(where: str, key: str, value: Any, predicates: Iterable[str]) -> tuple[Adjust, ...]:
    if not isinstance(value, list):
        raise _fail(where, f"{key!r} must be a list of tables")
    known = set(predicates)
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise _fail(where, f"{key!r} entries must be tables")
        for k in item:
            if k not in _ADJUST_KEYS:
                raise _fail(where, f"unknown key {k!r} in {key}")
        by = item.get("by")
        if not isinstance(by, int | float) or not 0 < by <= 1:
            raise _fail(where, f"{key}.by must be a number in (0, 1]")
        pred, pat = item.get("predicate"), item.get("pattern")
        if (pred is None) == (pat is None):
            raise _fail(where, f"each {key} entry needs exactly one of 'predicate' or 'pattern'")
        if pred is not None and pred not in known:
            raise _fail(where, f"unknown predicate {pred!r} in {key}")
        out.append(
            Adjust(
                by=float(by),
                why=str(item.get("why") or pred or pat),
                predicate=pred,
                pattern_text=_pattern_text(where, key, pat) if pat is not None else None,
                origin=(where, key),
            )
        )
    return tuple(out)


def _discriminators(where: str, value: Any) -> tuple[Discriminator, ...]:
    if not isinstance(value, list):
        raise _fail(where, "'discriminators' must be a list of tables")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise _fail(where, "'discriminators' entries must be tables")
        for k in item:
            if k not in _DISCRIMINATOR_KEYS:
                raise _fail(where, f"unknown key {k!r} in discriminators")
        against = _choice(where, "discriminators.against", item.get("against"), LABELS)
        check = item.get("check")
        if not isinstance(check, str) or not check.strip():
            raise _fail(where, "discriminators.check must be a non-empty command")
        outcomes = item.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) < 2:
            raise _fail(where, "discriminators.outcomes must list at least two outcomes")
        pairs = []
        for o in outcomes:
            if (
                not isinstance(o, dict)
                or set(o) != {"when", "means"}
                or not all(isinstance(v, str) and v for v in o.values())
            ):
                raise _fail(where, "each discriminators outcome is {when = '...', means = '...'}")
            pairs.append((o["when"], o["means"]))
        out.append(Discriminator(against, check.strip(), tuple(pairs)))
    return tuple(out)


def _rule(raw: Any, source: str, user: bool, predicates: Iterable[str]) -> Rule:
    """One ``[[rule]]`` table checked; a user rule's patterns are compiled here (fail early)."""
    if not isinstance(raw, dict):
        raise _fail(source, "each [[rule]] must be a table")
    rid = raw.get("id")
    where = f"{source}: rule {rid}" if isinstance(rid, str) else f"{source}: rule <no id>"
    for key in raw:
        if key not in _RULE_KEYS:
            raise _fail(where, f"unknown key {key!r}")
    for key in _REQUIRED:
        if key not in raw:
            raise _fail(where, f"missing key {key!r}")
    preds = tuple(predicates)
    conf = raw["confidence"]
    if not isinstance(conf, int | float) or not 0 < conf <= 1:
        raise _fail(where, "confidence must be a number in (0, 1]")
    for key in ("requires", "forbids"):
        for name in _strings(where, key, raw.get(key, [])):
            if name not in preds:
                raise _fail(where, f"unknown predicate {name!r} in {key}")
    rule = Rule(
        id=str(rid),
        title=str(raw["title"]),
        root_cause=_choice(where, "root_cause", raw["root_cause"], LABELS),
        severity=_choice(where, "severity", raw["severity"], SEVERITIES),
        pattern_texts=_texts(where, "patterns", raw["patterns"]),
        confidence=float(conf),
        explanation=_check_template(where, str(raw["explanation"]).strip()),
        target=_choice(where, "target", raw.get("target", "error"), TARGETS),
        layer=_choice(where, "layer", raw.get("layer", "any"), LAYERS),
        kinds=_strings(where, "kinds", raw.get("kinds", [])),
        op=_choice(where, "op", raw.get("op", "any"), OPS),
        exclude_texts=_texts(where, "exclude", raw.get("exclude", [])),
        requires=_strings(where, "requires", raw.get("requires", [])),
        forbids=_strings(where, "forbids", raw.get("forbids", [])),
        raises=_adjusts(where, "raise", raw.get("raise", []), preds),
        lowers=_adjusts(where, "lower", raw.get("lower", []), preds),
        remediation=_strings(where, "remediation", raw.get("remediation", [])),
        references=_strings(where, "references", raw.get("references", [])),
        examples=_strings(where, "examples", raw.get("examples", [])),
        counter_examples=_strings(where, "counter_examples", raw.get("counter_examples", [])),
        discriminators=_discriminators(where, raw.get("discriminators", [])),
        partial_texts=_texts(where, "partial", raw.get("partial", [])),
        generic=_flag(where, "generic", raw.get("generic", False)),
        source=source,
        user=user,
    )
    return rule.compiled() if user else rule


def _texts(where: str, key: str, value: Any) -> tuple[str, ...]:
    return tuple(_pattern_text(where, key, p) for p in _strings(where, key, value))


def load_rules_text(text: str, source: str, *, user: bool = True) -> list[Rule]:
    """Rules from one TOML document (``[[rule]]`` tables); ``source`` names it in errors."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"not valid TOML: {exc}") from exc
    return rules_of_document(doc, source, user=user)


def rules_of_document(doc: dict[str, Any], source: str, *, user: bool = True) -> list[Rule]:
    """Rules from one parsed rule file (its ``rule`` array of tables), checked as at load."""
    from multus_forensics.classify.predicates import PREDICATES

    for key in doc:
        if key != "rule":
            raise _fail(source, f"unknown top-level key {key!r} (rules go in [[rule]] tables)")
    raw_rules = doc.get("rule", [])
    if not isinstance(raw_rules, list):
        raise _fail(source, "'rule' must be an array of tables ([[rule]])")
    return [_rule(raw, source, user, PREDICATES) for raw in raw_rules]


def builtin_rule_files() -> list[tuple[str, str]]:
    """(name, text) of the packaged rule files, sorted by name."""
    root = resources.files("multus_forensics") / "rules"
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append((f"rules/{entry.name}", entry.read_text(encoding="utf-8")))
    return out


ENTRY_POINT_GROUP: Final = "multus_forensics.rules"


def plugin_rule_files() -> list[Path]:
    """Rule files contributed by installed packages through :data:`ENTRY_POINT_GROUP`."""
    if not plugins_possible():
        return []
    from importlib import metadata

    out: list[Path] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = ep.load()
            if callable(value):
                value = value()
        except Exception as exc:
            raise RuleError(f"rule plugin {ep.name} ({ep.value}): cannot load: {exc}") from exc
        values = [value] if isinstance(value, str | Path) else list(value)
        for item in values:
            if not isinstance(item, str | Path):
                raise RuleError(f"rule plugin {ep.name}: {item!r} is not a path")
            out.append(Path(item))
    return out


def plugins_possible() -> bool:
    """Whether an installed distribution may declare :data:`ENTRY_POINT_GROUP`: one names it
    in its ``entry_points.txt`` in a folder on ``sys.path``, where :mod:`importlib.metadata`
    finds it. Asking :mod:`importlib.metadata` costs its import and a read of every
    distribution's metadata (20-45 ms, a tenth of a ``diagnose`` of a small file) when no
    plugin is installed, as on most machines. What this test cannot see into (a zip on
    ``sys.path``, a metadata finder of another kind) answers yes."""
    import os
    import sys
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is PathFinder or not hasattr(finder, "find_distributions"):
            continue
        kind = type(finder)  # the importlib_metadata backport's finder reads sys.path alike
        if (kind.__module__, kind.__qualname__) != ("importlib_metadata", "MetadataPathFinder"):
            return True
    for entry in sys.path:
        root = entry or "."
        try:
            names = os.listdir(root)
        except NotADirectoryError:  # a zip: importlib.metadata reads inside it
            return True
        except OSError:  # missing or unreadable: importlib.metadata finds nothing there either
            continue
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(root, name, "entry_points.txt"), "rb") as fh:
                    if ENTRY_POINT_GROUP.encode() in fh.read():
                        return True
            except OSError:  # no entry points (or an egg-info file): no plugin there
                continue
    return False


def _read_rule_file(path: Path) -> str:
    """A user rule file's text: a regular file of at most :data:`MAX_RULE_FILE_BYTES`, UTF-8."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise RuleError(f"{path}: is a directory; give the rule files in it")
        if not stat.S_ISREG(mode):
            raise RuleError(f"{path}: not a regular file (fifo, socket or device); not read")
        with open(path, "rb") as fh:
            data = fh.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc.strerror or exc}") from exc
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleError(f"{path}: rule file larger than {MAX_RULE_FILE_BYTES} bytes; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"{path}: rule file is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from exc


def load_catalog(
    extra: str | Path | Sequence[str | Path] = (), *, builtin: bool = True, plugins: bool = True
) -> Catalog:
    """The packaged catalog, rule files of installed plugins, and user files in ``extra``.

    Rule ids must be unique across all of them; every problem is a :class:`RuleError`.
    """
    extra = [extra] if isinstance(extra, str | Path) else list(extra)
    if plugins:
        extra = [*plugin_rule_files(), *extra]
    rules: list[Rule] = []
    files: list[str] = []
    if builtin:
        from multus_forensics.classify.derived import parsed_rule_file

        for name, text in builtin_rule_files():
            doc = parsed_rule_file(name, text)  # None when the file changed since derived
            if doc is None:
                rules.extend(load_rules_text(text, name, user=False))
            else:
                rules.extend(rules_of_document(doc, name, user=False))
            files.append(name)
    for path in extra:
        p = Path(path)
        text = _read_rule_file(p)
        rules.extend(load_rules_text(text, str(p), user=True))
        files.append(str(p))
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise _fail(rule.source, f"rule {rule.id}: duplicate id (also in {seen[rule.id]})")
        seen[rule.id] = rule.source
    return Catalog(tuple(rules), tuple(files))
