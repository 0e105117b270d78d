"""Go string unquoting and klog key/value parsing (klog ``printS`` output), pure Python.

klog writes the message with ``strconv.Quote`` and each value as a Go-quoted string, a bare
token (older klog for typed strings), a JSON document (structs such as the PLEG event), or a
``key=<`` block whose body lines start with a TAB and which closes with `` >``. This module
undoes exactly one quoting level; nested levels (the pod worker's ``%q`` inside ``err``) are left
for the error-chain unwrapper, which must see them to peel the layers.
"""

from __future__ import annotations

import json
from typing import Any, Final

_SIMPLE_ESCAPES: Final = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_JSON = json.JSONDecoder()


def go_unquote_at(text: str, start: int) -> tuple[str, int] | None:
    """Unquote the Go string literal opening at ``text[start] == '"'``.

    Returns the value and the index just after the closing quote, or ``None`` when the literal
    never closes. A raw newline inside the literal cannot come from klog (``strconv.Quote``
    escapes it), so it is a terminal wrap in a paste and is dropped. ``\\xNN`` and octal escapes
    are bytes; invalid UTF-8 they form is replaced rather than lost.
    """
    i = start + 1
    end_q = text.find('"', i)
    if end_q < 0:
        return None
    chunk = text[i:end_q]
    if "\\" not in chunk and "\n" not in chunk:
        return chunk, end_q + 1
    out: list[str] = []
    raw_bytes = False
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            value = "".join(out)
            if raw_bytes:
                value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return value, i + 1
        if c == "\n":
            i += 1
            continue
        if c != "\\":
            j = i
            while j < n and text[j] not in '"\\\n':
                j += 1
            out.append(text[i:j])
            i = j
            continue
        if i + 1 >= n:
            return None
        e = text[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = text[i + 2 : i + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                out.append(text[i : i + 2])
                i += 2
                continue
            code = int(digits, 16)
            if e == "x" and code >= 0x80:
                out.append(chr(0xDC00 + code))
                raw_bytes = True
            else:
                out.append(chr(code) if code <= 0x10FFFF else "\ufffd")
            i += 2 + width
        elif e in "01234567" and text[i + 1 : i + 4].isdigit():
            code = int(text[i + 1 : i + 4], 8) & 0xFF
            out.append(chr(code) if code < 0x80 else chr(0xDC00 + code))
            raw_bytes = raw_bytes or code >= 0x80
            i += 4
        else:  # not a Go escape: keep it verbatim rather than guess
            out.append(text[i : i + 2])
            i += 2
    return None


def _key_end(text: str, i: int) -> int:
    n = len(text)
    j = i
    while j < n and text[j] not in "= \n\t":
        j += 1
    return j


def parse_kv(text: str, start: int) -> tuple[dict[str, Any], bool]:
    """Parse ``key=value`` pairs from ``text[start:]``; returns (pairs, clean).

    Later duplicates overwrite earlier ones (klog keeps the last). ``clean`` is False when
    something could not be read as a pair; the unread remainder is then kept under ``_rest`` so
    no text is lost.
    """
    pairs: dict[str, Any] = {}
    i = start
    n = len(text)
    while True:
        while i < n and text[i] in " \n":
            i += 1
        if i >= n:
            return pairs, True
        k_end = _key_end(text, i)
        if k_end >= n or text[k_end] != "=" or k_end == i:
            pairs["_rest"] = text[i:]
            return pairs, False
        key = text[i:k_end]
        v = k_end + 1
        if v < n and text[v] == '"':
            got = go_unquote_at(text, v)
            if got is None:  # cut short (pager, LineMax): keep what there is, unquoted
                got = go_unquote_at(text + '"', v)
                pairs[key] = got[0] if got else text[v:]
                return pairs, False
            pairs[key], i = got
        elif text.startswith("<\n", v) or text[v:] == "<":
            pairs[key], i = _block(text, v + 2)
        elif v < n and text[v] in "{[":
            try:
                pairs[key], i = _JSON.raw_decode(text, v)
            except ValueError:
                j = _token_end(text, v)
                pairs[key], i = text[v:j], j
        else:
            j = _token_end(text, v)
            pairs[key], i = text[v:j], j


def _token_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] not in " \n":
        i += 1
    return i


def _block(text: str, i: int) -> tuple[str, int]:
    """Read a ``key=<`` block body starting at ``text[i]``; returns (value, index after `` >``).

    Body lines start with a TAB (removed); the block ends at a line starting with `` >``. A block
    that never closes (a cut journal) takes the rest of the text.
    """
    body: list[str] = []
    n = len(text)
    while i < n:
        nl = text.find("\n", i)
        line_end = n if nl < 0 else nl
        line = text[i:line_end]
        if line.startswith(" >"):
            return "\n".join(body), i + 2
        body.append(line[1:] if line.startswith("\t") else line)
        i = line_end + 1
    return "\n".join(body), n
