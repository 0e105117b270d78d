"""Chunk threads start only once polars' stand-in for numpy is resolved.

polars imports numpy on first use through a proxy module; two threads entering that import at
once fail (``'module' object does not support item assignment``), as two chunk scans of a large
file did under load. :func:`~multus_forensics.formats._assemble.settle_polars_numpy` resolves
it on the calling thread first; a fresh interpreter shows the proxy before and numpy after.
"""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import polars
from polars import _dependencies
assert "numpy" not in sys.modules, "numpy imported with polars: nothing to settle here"
proxy = _dependencies.numpy  # what polars' modules imported under the name numpy
print(type(proxy).__name__, "ndarray" in vars(proxy))
from multus_forensics.formats._assemble import settle_polars_numpy
settle_polars_numpy()
print(type(proxy).__name__, "ndarray" in vars(proxy))
"""


def test_polars_numpy_proxy_is_resolved_before_threads() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_LazyModule", "False", "_LazyModule", "True"]
