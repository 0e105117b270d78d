"""A progress bar for long runs that is silent unless a person is watching.

On a terminal (stderr is a TTY) the bar is tqdm's when the ``[progress]`` extra is installed, and
a one-line counter otherwise; redirected to a file or a CI log, or with ``--quiet``, nothing is
printed, so logs and pipes stay clean. :func:`stage_bar` is the bar of a single input: its
steps are the stages (parse, timelines, rules), redrawn twice a second so the elapsed time keeps
moving while one large file is parsed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TextIO

#: seconds between redraws of a stage bar (the elapsed time of a long stage keeps moving)
REFRESH_SECONDS: Final = 0.5


class ProgressBar:
    """``advance(label)`` once per finished item; draws only when enabled."""

    def __init__(self, total: int, desc: str, stream: TextIO | None, tqdm: Any = None) -> None:
        self.total = total
        self.desc = desc
        self.done = 0
        self.label = ""
        #: for a stage bar: the stage names, so ``advance()`` shows the one starting
        self.stages: list[str] = []
        self._stream = stream
        self._tqdm = tqdm

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def advance(self, label: str = "") -> None:
        self.done += 1
        if not label and self.stages:
            label = self.stages[self.done] if self.done < len(self.stages) else "done"
        self.label = label
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(label, refresh=False)
            self._tqdm.update(1)
            self._tqdm.refresh()  # update() skips draws closer than tqdm's mininterval
        else:
            self.refresh()

    def refresh(self) -> None:
        """Redraw (tqdm recomputes the elapsed time; the plain counter rewrites its line)."""
        if self._tqdm is not None:
            self._tqdm.refresh()
        elif self._stream is not None:
            self._stream.write(f"\r{self.desc}: {self.done}/{self.total} {self.label[:40]:<40}")
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
    total: int,
    desc: str,
    *,
    enabled: bool | None = None,
    stream: TextIO | None = None,
    unit: str = "input",
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
        bar = ProgressBar(total, desc, out, tqdm(total=total, desc=desc, file=out, unit=unit))
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def stage_bar(
    stages: Sequence[str], desc: str, *, enabled: bool | None = None, stream: TextIO | None = None
) -> Iterator[ProgressBar]:
    """A bar over the ``stages`` of one job (the first shown at once, ``advance()`` starts the
    next), redrawn every :data:`REFRESH_SECONDS` from a daemon thread while it is shown."""
    with progress_bar(len(stages), desc, enabled=enabled, stream=stream, unit="step") as bar:
        bar.stages = list(stages)
        bar.label = stages[0] if stages else ""
        if not bar.enabled:
            yield bar
            return
        if bar._tqdm is not None:
            bar._tqdm.set_postfix_str(bar.label, refresh=False)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(REFRESH_SECONDS):
                bar.refresh()

        ticker = threading.Thread(target=tick, name="multus-forensics-progress", daemon=True)
        ticker.start()
        try:
            bar.refresh()
            yield bar
        finally:
            stop.set()
            ticker.join()
