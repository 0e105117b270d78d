"""Watch a node live: follow growing logs and pipes, and report root causes as they appear.

``multus-forensics watch PATH... | -`` and :func:`watch` / :func:`awatch` share one engine
(:class:`Watcher`): followers with ``tail -F`` semantics (:mod:`.follow`), the batch run's
format detection and parsers applied to each new stretch of lines (:mod:`.stream`), and the
public classifier run on a bounded window of events with per-cause tallies (:mod:`.state`).
"""

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
