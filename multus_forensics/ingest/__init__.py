"""Ingestion: from user inputs (paths, globs, ``-``) to decoded text streams with provenance.

Files are opened, decompressed by magic bytes, archives walked member by member as streams, and
every problem (missing file, unreadable member, expansion over the cap, unsafe member name) is a
:class:`~multus_forensics.model.ParseIssue` rather than an exception, so nothing else is lost.
"""

from multus_forensics.ingest.model import Limits, RawStream, Unreadable
from multus_forensics.ingest.sources import decode, expand, iter_inputs, iter_streams

__all__ = ["Limits", "RawStream", "Unreadable", "decode", "expand", "iter_inputs", "iter_streams"]
