"""Watch a node live: follow growing logs and pipes, and report root causes as they appear.

``multus-forensics watch PATH... | -`` and :func:`watch` / :func:`awatch` share one engine
(:class:`Watcher`): followers with ``tail -F`` semantics (:mod:`.follow`), the batch run's
format detection and parsers applied to each new stretch of lines (:mod:`.stream`), and the
public classifier run on a bounded window of events with per-cause tallies (:mod:`.state`).
"""

import sys
import types
from collections.abc import Iterator
from typing import Any

from multus_forensics.watch.engine import (
    CauseCount,
    Change,
    Summary,
    Watcher,
    WatchOptions,
    awatch,
    watch,
)

__all__ = ["CauseCount", "Change", "Summary", "WatchOptions", "Watcher", "awatch", "watch"]


class _CallableModule(types.ModuleType):
    """``multus_forensics.watch`` is both this package and the function :func:`watch`.

    Importing the package binds the name ``watch`` on ``multus_forensics`` to the module (the
    import system does that after this file runs), which would hide the function from
    ``mf.watch(paths)``; calling the module therefore calls the function.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Change]:
        return watch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
