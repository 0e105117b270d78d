"""Per-pod timelines: sandbox attempts, error chains, interface add order, anomalies.

``build_timelines(events)`` joins events from every source and node by pod UID, sandbox ID and
container ID (see :mod:`.identity`), splits each pod's events into sandbox attempts
(:mod:`.attempts`), orders the interfaces each attempt added (:mod:`.interfaces`) and flags
anomalies as data (:mod:`.anomalies`). The frames are documented column by column in
``docs/timelines.md``.
"""

from __future__ import annotations

from multus_forensics.timeline.frames import PodTimeline, Timelines, build_timelines

__all__ = ["PodTimeline", "Timelines", "build_timelines"]
