"""The shape of an error text: its retry-varying tokens replaced by fixed placeholders.

A busy node repeats one failure for thousands of sandboxes and pods; the texts differ only by
sandbox IDs, pod UIDs and the pod a Multus prefix names, so nearly every text is distinct and
peeling each one was most of what a diagnosis spent on chains. The shapes of many texts are
made in one vectorised pass (:func:`shapes`); :mod:`multus_forensics.chain` peels each shape
once, and a fact of the shape's chain (network, interface, operation, leaf...) that holds no
placeholder is that fact of every text of the shape.

Why a shape peels as its texts do, layer for layer and field for field outside the
placeholders: the prefix table (``_chain_rules``) sees a hex token only through character
classes that hold every character of both the token and its placeholder (``[0-9a-f]``,
``[^"]``, ``\\S``, ``\\w``...). A token is bounded by characters outside ``[\\w-]`` (so no
literal of the table starts or ends inside it) and its placeholder has its length, its dashes
and its first character's class (``\\d+`` and ``[a-z]`` test a token's first character); a
text holding a run of 12 or more digits is not shaped. A Multus prefix's namespace and pod
(``[ns/name/``, ``[ns/name:``, ``[ns/name]``) are read by that prefix's negated classes
(``[^/\\]:\\s]``) only. No pattern of the table has a back-reference, so equal tokens and
different ones peel alike. Texts whose escapes make new characters (``\\x41``, ``\\u00e9``,
octal) and thick-daemon argument dumps (decoded byte arrays) are not shaped.
``tests/test_chain_shape.py`` holds shaped facts equal to the peeled text's on generated
chains and on every sample and corpus error text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

_ID: Final = "f" * 63
_UID: Final = "fffffff-ffff-ffff-ffff-ffffffffffff"
#: a placeholder's mark: what a fact holding one, or part of one, holds
NAME: Final = "qzqzq"
#: (pattern, replacement) in Rust regex syntax, applied in order; the characters before and
#: after a token are kept (a token right after another one's closing character stays as it is)
PASSES: Final = (
    (r"(^|[^\w\\-])[a-f][0-9a-f]{63}($|[^\w-])", f"${{1}}a{_ID}${{2}}"),
    (r"(^|[^\w\\-])[0-9][0-9a-f]{63}($|[^\w-])", f"${{1}}0{_ID}${{2}}"),
    (
        r"(^|[^\w\\-])[a-f][0-9a-f]{7}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}($|[^\w-])",
        f"${{1}}a{_UID}${{2}}",
    ),
    (
        r"(^|[^\w\\-])[0-9][0-9a-f]{7}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}($|[^\w-])",
        f"${{1}}0{_UID}${{2}}",
    ),
    (r"\[[a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9.-]*([/:\]])", f"[{NAME}/{NAME}${{1}}"),
)
#: texts not shaped: a digit run a ``\d+`` could take whole, escapes that decode to new
#: characters, thick-daemon argument dumps
UNSHAPED: Final = r"\b[0-9]{12,}\b|\\[xu0-7]|ContainerID:"


def marked(value: str) -> bool:
    """Whether ``value`` may hold a placeholder or part of one (then ask the text's own chain)."""
    return "ffff" in value or NAME in value


def shapes(texts: pl.Expr) -> pl.Expr:
    """Each text's shape, or null where the text is not shaped (see module doc)."""
    import polars as pl

    expr = texts
    for pattern, replacement in PASSES:
        expr = expr.str.replace_all(pattern, replacement)
    return pl.when(texts.str.contains(UNSHAPED)).then(None).otherwise(expr)
