"""Control characters from logs rendered visibly in every text output.

Log lines, member names and titles come from whoever wrote the input: an ESC, OSC or BEL
printed raw moves the cursor, retitles or rings the terminal, rewrites what the reader sees
(``\\r``), or hides text (bidirectional overrides, "Trojan source"). Every text output
(``diagnose``'s text, ``timeline``, ``report.md``, the HTML report, stderr issue lines) passes
through :func:`visible`, which writes them as escapes (``\\x1b``, ``\\u202e``) and keeps only
newlines and tabs, the structure of the output itself. JSON escapes C0 controls itself but not
C1 (U+009B is a CSI on some terminals) nor bidirectional overrides: :func:`json_visible` writes
those as ``\\u`` escapes, which JSON readers decode back to the same text.
"""

from __future__ import annotations

import re
from typing import Final

_C0_C1: Final = (*range(0x20), 0x7F, *range(0x80, 0xA0))
_BIDI: Final = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)

#: code point -> its visible escape (newline and tab excluded: see :func:`visible`)
ESCAPES: Final[dict[int, str]] = {
    **{c: f"\\x{c:02x}" for c in _C0_C1},
    **{c: f"\\u{c:04x}" for c in _BIDI},
}
_KEEP_LAYOUT: Final = {k: v for k, v in ESCAPES.items() if chr(k) not in "\n\t"}


def visible(text: str, *, layout: bool = True) -> str:
    """``text`` with control characters as visible escapes (``\\x1b[31m`` stays readable).

    ``layout`` keeps newlines and tabs (for a whole rendered output); ``False`` escapes them
    too (for one field printed on one line, such as a file name in an error message).
    """
    table = _KEEP_LAYOUT if layout else ESCAPES
    found = (_KEEP_LAYOUT_RE if layout else _ESCAPES_RE).search(text)
    # ``str.translate`` looks up every character: on a report's megabytes, search first
    return text if found is None else text.translate(table)


#: the characters JSON leaves raw that a terminal may act on, as JSON ``\\u`` escapes
_JSON: Final[dict[int, str]] = {c: f"\\u{c:04x}" for c in (*range(0x80, 0xA0), 0x7F, *_BIDI)}


def json_visible(text: str) -> str:
    """Serialised JSON with C1 controls, DEL and bidi overrides escaped (same decoded value)."""
    return text if _JSON_RE.search(text) is None else text.translate(_JSON)


def _class(codes: dict[int, str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(codes)) + "]")


_ESCAPES_RE: Final = _class(ESCAPES)
_KEEP_LAYOUT_RE: Final = _class(_KEEP_LAYOUT)
_JSON_RE: Final = _class(_JSON)
