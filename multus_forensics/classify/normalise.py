"""Text as the upstream program printed it, from text damaged on its way into a ticket.

Error texts reach us escaped one or two levels deeper than usual (k3s/rke2 journald lines where
every quote is ``\\\\\\"``), wrapped in Markdown (``**``, ``_``, backticks), hard-wrapped by a
terminal, or with their case changed ("Did not find reserved IP"). Rules are written against the
upstream wording, so :func:`normalise` undoes that damage first and says what it undid (the notes
go into a finding's reasons). Pure and cheap: text without any trigger is returned unchanged.

The engine's literal pre-filter selects candidate rows by case-insensitive fragments; a row can
only gain a literal through normalisation if it contains one of :data:`TRIGGERS` (a newline, a
backtick, ``**`` or a backslash). A text marked as cut (``…``, ``...``, ``[truncated]``) may
match a ``partial`` rule without the literals after the cut, so those marks are triggers too; a
text cut without a mark reaches a ``partial`` rule only if the pre-filter selects such rules by
the literals before their patterns' first variable part.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, AnyStr, Final

from multus_forensics.lazyre import lazy, lazy_regex

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.predicates import Hit

#: substrings without which normalisation cannot change a text (case folding aside, which the
#: engine's case-insensitive pre-filter already covers)
TRIGGERS: Final[tuple[str, ...]] = ("\n", "`", "**", "\\", "…", "...", "[truncated]")
#: underscore emphasis (``_Link not found_``) is undone too, but only wraps words: it never splits
#: a literal inside a word, so it is not a pre-filter trigger
_ALSO: Final = ("_",)
_ANY_TRIGGER: Final = (*TRIGGERS, *_ALSO)

_ESCAPED_QUOTE: Final = lazy_regex(r'\\+"')
_ESCAPED_BACKSLASH: Final = lazy_regex(r"\\{2,}")
_ESCAPED_NEWLINE: Final = lazy_regex(r"\\+n(?=[\s\"]|$)")
_BOLD: Final = lazy_regex(r"\*\*(?=\S)([^*\n]{1,2000}?)(?<=\S)\*\*")
_UNDERSCORE: Final = lazy_regex(
    r"(?<![\w/.-])__?(?=[^\s_])([^_\n]{1,2000}?)(?<=[^\s_])__?(?![\w/.-])"
)
_BACKTICKS: Final = lazy_regex(r"`{1,3}")
#: a terminal's hard wrap: newline plus indentation or a TUI border, inside a record
_WRAP: Final = lazy_regex(r"[ \t]*[│|]?[ \t]*\n[ \t]*[│|]?[ \t]*")
_SHOUTING: Final = lazy(r"[A-Z]{4,}")
#: the first letter of a wrapped error segment, when a lower-case letter follows (not acronyms)
_SEGMENT_START: Final = lazy(r"(: )([A-Z])(?=[a-z])")


#: the notes :func:`normalise` can give, one per repair
ESCAPING: Final = "extra escaping removed"
MARKDOWN: Final = "Markdown decoration removed"
WRAPS: Final = "hard wraps joined"
NOTES: Final = frozenset({ESCAPING, MARKDOWN, WRAPS})


@dataclass(frozen=True)
class Normalised:
    """The repaired text and what was repaired (empty notes: the text was left as it was)."""

    text: str
    notes: tuple[str, ...] = ()


def _unescape(text: str) -> tuple[str, bool]:
    """Collapse runs of escaping (``\\\\\\"`` → ``"``), as many levels as there are."""
    if "\\" not in text:
        return text, False
    # each pattern needs its own pair of characters: a text without them is scanned once, in C
    out = text
    for _ in range(4):  # ``\\+"`` → ``"``: a pass takes one backslash off every run
        if '\\"' not in out:
            break
        out = out.replace('\\"', '"')
    else:  # deeper runs (or a hostile one): the regex, whose one pass ends them all
        out = _ESCAPED_QUOTE.sub('"', out) if '\\"' in out else out
    out = _ESCAPED_NEWLINE.sub(" ", out) if "\\n" in out else out
    out = _ESCAPED_BACKSLASH.sub(r"\\", out) if "\\\\" in out else out
    return out, out != text


#: ASCII characters before which ``_`` cannot open emphasis (the lookbehind of ``_UNDERSCORE``)
_WORDLIKE: Final = frozenset(string.ascii_letters + string.digits + "_/.-")


def _may_open_emphasis(text: str) -> bool:
    """Whether some ``_`` in ``text`` follows neither a word character nor ``/.-`` (as the
    pattern's lookbehind asks): in identifiers (``kuberuntime_manager.go``) none does, and
    this test is a few string searches where the pattern scans every position."""
    at = text.find("_")
    while at >= 0:
        if at == 0 or text[at - 1] not in _WORDLIKE:  # (non-ASCII: left to the pattern)
            return True
        at = text.find("_", at + 1)
    return False


def _unmarkdown(text: str) -> tuple[str, bool]:
    out = text
    if "**" in out:
        out = _BOLD.sub(r"\1", out)
    if "_" in out and _may_open_emphasis(out):
        out = _UNDERSCORE.sub(r"\1", out)
    if "`" in out:
        out = _BACKTICKS.sub("", out)
    return out, out != text


def _unwrap(text: str) -> tuple[str, bool]:
    if "\n" not in text:
        return text, False
    out = _WRAP.sub("", text)
    return out, out != text


def normalise(text: str) -> Normalised:
    """``text`` with extra escaping, Markdown decoration and hard wraps undone, and notes.

    Case is not changed here (see :func:`casefold_variants`): changing it would also change identifiers that explanations quote.
    """
    if not any(t in text for t in _ANY_TRIGGER):
        return Normalised(text)
    notes = []
    out, changed = _unescape(text)
    if changed:
        notes.append(ESCAPING)
    out, changed = _unmarkdown(out)
    if changed:
        notes.append(MARKDOWN)
    out, changed = _unwrap(out)
    if changed:
        notes.append(WRAPS)
    return Normalised(out, tuple(notes))


def may_note(text: str, notes: frozenset[str]) -> bool:
    """Whether :func:`normalise` could give ``text`` one of ``notes``; false only when it
    cannot (a few substring tests where normalising runs every repair). Unescaping deletes
    backslashes, turns an escaped newline into a space and makes no ``*``, backtick, ``_`` or
    newline; the character before an ``_`` changes only where an escaped newline was."""
    if ESCAPING in notes and "\\" in text:
        return True
    if WRAPS in notes and "\n" in text:
        return True
    return MARKDOWN in notes and (
        "**" in text or "`" in text or ("_" in text and ("\\n" in text or _may_open_emphasis(text)))
    )


def may_note_expr(text: pl.Expr, note: str) -> pl.Expr:
    """Per row, whether :func:`normalise` of ``text`` could give ``note``: :func:`may_note`
    for many rows in one pass (an emphasis ``_`` after no ``[A-Za-z0-9_/.-]`` character)."""
    text = text.fill_null("")
    if note == ESCAPING:
        return text.str.contains("\\", literal=True)
    if note == WRAPS:
        return text.str.contains("\n", literal=True)
    if note != MARKDOWN:
        raise ValueError(f"not a normalisation note: {note!r}")
    return (
        text.str.contains("**", literal=True)
        | text.str.contains("`", literal=True)
        | (text.str.contains("_", literal=True) & text.str.contains("\\n", literal=True))
        | text.str.contains(r"(?:^|[^A-Za-z0-9_/.\-])_")
    )


_CAPITALS: Final = string.ascii_uppercase.encode()


def _capitals(text: str) -> int:
    """How many A-Z characters an ASCII ``text`` holds."""
    raw = text.encode("ascii")
    return len(raw) - len(raw.translate(None, _CAPITALS))


def casefold_variants(text: str) -> tuple[str, ...]:
    """The text in the cases upstream prints it, when case was visibly changed (else empty).

    Upstream messages are lower case after each ``: `` (Go error wrapping) and start either way
    ("Error deallocating IP", "error adding container"). A shouted or title-cased text is lowered
    whole; otherwise the first letter of each wrapped segment is lowered ("...: Did not find
    reserved IP" → "...: did not find reserved IP"), with and without the very first letter.
    """
    words = text.split()
    n = len(words)
    # a shouted or title-cased word holds a capital: an ASCII text with too few capitals for
    # either count (a whole log line, most of the texts) is counted by two C passes
    if n >= 3 and not (text.isascii() and _capitals(text) * 2 <= n):
        # (the word counts first: a Python pass over the words costs less than the patterns'
        # scan of every character, and most texts fail them)
        if sum(1 for w in words if w.isupper() and len(w) > 1) * 2 > n and _SHOUTING.search(text):
            return (text.lower(),)
        # in ASCII text a title-cased word starts with A-Z: too few such words, no count needed
        few = text.isascii() and sum(1 for w in words if "A" <= w[0] <= "Z") * 2 <= n
        if not few and sum(1 for w in words if w[:1].isupper() and w[1:].islower()) * 2 > n:
            return (text.lower(),)
    inner = (
        _SEGMENT_START.sub(lambda m: m.group(1) + m.group(2).lower(), text)
        if ": " in text
        else text
    )
    first = inner[:1].lower() + inner[1:] if inner[:2].istitle() else inner
    return tuple(dict.fromkeys(v for v in (inner, first) if v != text))


#: what unwrapping and :func:`normalise` may delete from an ASCII text; apart from an escaped
#: newline (which becomes a space) they only delete, and case folding only lowers
_DELETABLE: Final = b"\\*_`\n| \t"


def skeleton(text: str) -> bytes | None:
    """``text`` lower-cased without the characters normalisation may delete: every variant a
    rule is tried on (the text, unwrapped, normalised, case-folded) has this same skeleton.
    ``None`` when that cannot be promised (non-ASCII text, an escaped newline). Bytes: their
    ``lower`` and ``translate`` are single C passes, several times faster than ``str``'s."""
    if not text.isascii():
        return None
    raw = text.encode("ascii")
    if b"\\n" in raw:
        return None
    return raw.lower().translate(None, _DELETABLE)


Skeleton = tuple[tuple[bytes, ...], ...]


@functools.lru_cache(maxsize=4096)
def pattern_skeleton(pattern: str) -> Skeleton:
    """The fragment sets every match of ``pattern`` holds, in the order the match holds them
    (one of each set, without overlap), as skeletons; empty when unknown (then any text may
    match). A match in a variant puts them, in order, in the skeleton of the text it came from."""
    from multus_forensics.classify.select import match_factors

    return tuple(
        tuple(sorted({f.lower().encode().translate(None, _DELETABLE) for f in factor}))
        for factor in match_factors(pattern) or ()
        if factor and all(f.isascii() for f in factor)  # (leaving a set out only weakens)
    )


#: what :func:`skeleton` deletes, as a Rust-regex class that may stand between two characters
_DELETED_RUN: Final = r"[\\*_`\n| \t]*"


def _literal(fragment: bytes) -> str:
    """``fragment`` as a Rust-regex literal (every non-alphanumeric byte as ``\\xHH``) that
    also matches it with characters :func:`skeleton` deletes between its characters."""
    return _DELETED_RUN.join(chr(b) if chr(b).isalnum() else f"\\x{b:02x}" for b in fragment)


def may_hold_expr(text: pl.Expr, skeletons: Sequence[Skeleton]) -> pl.Expr:
    """Per row, whether ``text`` could hold a match of one of these pattern skeletons: as
    :func:`skeleton` then :func:`holds_in_order` of each, for many rows in one pass (an empty
    text holds none; a text without a skeleton may hold any). One regex over the text itself,
    ``A.*?B`` with deletable characters allowed inside each fragment and case ignored, matches
    exactly when the lowered text without them holds one fragment of each set in order without
    overlap (the lowered copy and the deletion were most of the cost). Case folding beyond
    ASCII (``K`` for Kelvin, ``ſ``) only reaches non-ASCII texts, which may hold any."""
    import polars as pl

    orders = [
        "(?s)" + ".*?".join("(?:" + "|".join(map(_literal, alts)) + ")" for alts in skel)
        for skel in skeletons
    ]
    text = text.fill_null("")
    held = text.str.contains("(?i)(?:" + "|".join(orders) + ")") if orders else pl.lit(False)
    unknown = (text.str.len_bytes() != text.str.len_chars()) | text.str.contains(
        "\\n", literal=True
    )
    return (text != "") & (unknown | held)


def holds_in_order(skel: AnyStr, fragments: Sequence[Sequence[AnyStr]]) -> bool:
    """Whether ``skel`` (a skeleton's bytes, or a lowered text) holds one fragment of each
    set, in order and without overlap (the earliest-ending choice at each step, which finds
    such a sequence whenever one exists)."""
    pos = 0
    for alternatives in fragments:
        end = -1
        for fragment in alternatives:
            at = skel.find(fragment, pos)
            if at >= 0 and (end < 0 or at + len(fragment) < end):
                end = at + len(fragment)
        if end < 0:
            return False
        pos = end
    return True


#: confidence a finding loses when its every match is a prefix of a truncated text
PARTIAL_PENALTY: Final = 0.05


def transit_adjust(
    conf: float,
    reasons: list[str],
    hits: Sequence[Hit],
    noting: Mapping[str, Sequence[Hit]] | None = None,
) -> float:
    """Say what transit damage the hits were read through; a truncated-only match costs a little.

    The notes are those of every hit's texts, read; ``noting`` (per note, the hits whose texts
    could give it, as :func:`may_note_expr` tells) spares asking the others."""
    found: set[str] = set()
    if noting is None:
        for h in hits:  # (a view that can add no missing note is not normalised)
            missing = NOTES - found
            if not missing:
                break
            if h.view.may_note(missing):
                found.update(h.view.normalised)
    else:
        for note in sorted(NOTES):
            for h in noting.get(note, ()):
                if note in found:
                    break
                found.update(h.view.normalised)
    notes = sorted(found)
    reasons.extend(f"text normalised: {n}" for n in notes)
    if hits and all(getattr(h.match, "partial", False) for h in hits):
        reasons.append(f"-{PARTIAL_PENALTY:.2f} matched the surviving start of a truncated text")
        return conf - PARTIAL_PENALTY
    return conf
