"""Vectorised journald path (placeholder until implemented)."""

from __future__ import annotations

from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource


def applies(src: TextSource, min_lines: int) -> bool:
    return False


def parse_vectorised(src: TextSource, ctx: ParseContext, fmt: str) -> ParseOutput:
    raise NotImplementedError
