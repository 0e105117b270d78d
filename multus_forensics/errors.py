"""Exceptions raised by multus_forensics.

::

    MultusForensicsError
    ├── InputError                 a path, archive or stream cannot be read
    │   ├── ArchiveError           an archive member is unsafe or over the expansion cap
    │   └── InputNotFoundError     a path does not exist (also a FileNotFoundError)
    ├── FormatError                format selection failed
    │   ├── UnknownFormatError     no format by that name (with a "did you mean")
    │   └── AmbiguousFormatError   several formats sniff the same score
    ├── ParseError                 on_error="raise" and a line could not be parsed
    └── RuleError                  a rule file or rule is invalid (file and rule id named)

The CLI turns each of these into one line on stderr and exit code 1; anything else is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multus_forensics.model import ParseIssue


class MultusForensicsError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(MultusForensicsError):
    """An input path, archive or stream cannot be read."""


class ArchiveError(InputError):
    """An archive member is unsafe (path traversal) or expands past the configured cap."""


class InputNotFoundError(InputError, FileNotFoundError):
    """A path given to ``parse`` does not exist, or a glob matches no file.

    Also a :class:`FileNotFoundError`, so ``except FileNotFoundError`` works as for ``open``.
    """


class FormatError(MultusForensicsError):
    """The format of an input could not be chosen."""


class UnknownFormatError(FormatError):
    """No format is registered under the given name."""


class AmbiguousFormatError(FormatError):
    """Several formats sniffed the same best score; the candidates are named."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ParseError(MultusForensicsError):
    """Raised with ``on_error="raise"`` for the first parse issue."""

    def __init__(self, issue: ParseIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class RuleError(MultusForensicsError):
    """A rule file or a rule in it is invalid."""
