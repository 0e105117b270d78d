"""A progress bar for long runs that is silent unless a person is watching.

On a terminal (stderr is a TTY) the bar is tqdm's when the ``[progress]`` extra is installed, and
a one-line counter otherwise; redirected to a file or a CI log, or with ``--quiet``, nothing is
printed, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class ProgressBar:
    """``advance(label)`` once per finished item; draws only when enabled."""

    def __init__(self, total: int, desc: str, stream: TextIO | None, tqdm: Any = None) -> None:
        self.total = total
        self.desc = desc
        self.done = 0
        self._stream = stream
        self._tqdm = tqdm

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def advance(self, label: str = "") -> None:
        self.done += 1
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(label, refresh=False)
            self._tqdm.update(1)
        elif self._stream is not None:
            self._stream.write(f"\r{self.desc}: {self.done}/{self.total} {label[:40]:<40}")
            self._stream.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        elif self._stream is not None and self.done:
            self._stream.write("\n")
            self._stream.flush()


def should_show(enabled: bool | None, stream: TextIO) -> bool:
    """``None`` means: only when ``stream`` is a terminal."""
    if enabled is not None:
        return enabled
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress_bar(
    total: int, desc: str, *, enabled: bool | None = None, stream: TextIO | None = None
) -> Iterator[ProgressBar]:
    """A :class:`ProgressBar` over ``total`` items writing to ``stream`` (default stderr)."""
    out = stream if stream is not None else sys.stderr
    if not should_show(enabled, out):
        yield ProgressBar(total, desc, None)
        return
    try:
        from tqdm import tqdm
    except ImportError:
        bar = ProgressBar(total, desc, out)
    else:
        bar = ProgressBar(total, desc, out, tqdm(total=total, desc=desc, file=out, unit="input"))
    try:
        yield bar
    finally:
        bar.close()
