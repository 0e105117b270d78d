"""The optional compiled extensions: the one place that imports them.

Every extension has a pure-Python (numpy / careful-parser) equivalent, so a machine without a
C compiler, or a source checkout run without building, still gives the same results, only
slower. :func:`load` returns the module or ``None``; the first time an extension is off, one
:class:`NativeExtensionWarning` says which and why, and ``multus-forensics formats`` lists the
same. ``MULTUS_FORENSICS_NO_EXT=1`` turns every extension off (read at each call, so tests and
CI can compare both paths in one process). A new extension adds one line to
:data:`EXTENSIONS` and calls ``load("name")`` where it is used.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType
from typing import Final

#: environment variable that disables every compiled extension when set to a non-empty value
#: other than ``0``
ENV_DISABLE: Final = "MULTUS_FORENSICS_NO_EXT"

#: extension module (under ``multus_forensics``) -> what it speeds up
EXTENSIONS: Final[dict[str, str]] = {
    "_kscan": "journald fast path and line finding (one C pass over the file's bytes)",
    "_rscan": "Multus log and logrus (containerd, CRI-O) fast paths",
}

_imported: dict[str, ModuleType | str] = {}
_warned: set[str] = set()


class NativeExtensionWarning(RuntimeWarning):
    """A compiled extension is off: results are the same, large inputs parse slower."""


def disabled_by_env() -> bool:
    """True when :data:`ENV_DISABLE` asks for the pure-Python paths."""
    return os.environ.get(ENV_DISABLE, "").strip() not in ("", "0")


def _import(name: str) -> ModuleType | str:
    """The module, or why it could not be imported (cached: an import is tried once)."""
    if name not in _imported:
        try:
            _imported[name] = importlib.import_module(f"multus_forensics.{name}")
        except ImportError as exc:
            _imported[name] = (
                f"the compiled module is missing ({exc}); reinstall with a C compiler "
                "(pip install --force-reinstall multus-forensics) to get it"
            )
    return _imported[name]


def reason_off(name: str) -> str | None:
    """Why extension ``name`` is off, or None when it is in use."""
    if name not in EXTENSIONS:
        raise KeyError(f"unknown extension {name!r}; known: {', '.join(EXTENSIONS)}")
    if disabled_by_env():
        return f"disabled by {ENV_DISABLE}={os.environ[ENV_DISABLE]}"
    found = _import(name)
    return found if isinstance(found, str) else None


def load(name: str) -> ModuleType | None:
    """Extension ``name`` (e.g. ``"_kscan"``), or None for the pure-Python path (warns once)."""
    reason = reason_off(name)
    if reason is None:
        found = _import(name)
        assert isinstance(found, ModuleType)
        return found
    if name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"multus_forensics.{name} is off ({reason}): using the pure-Python path for the "
            f"{EXTENSIONS[name]}; results are the same, large inputs are slower",
            NativeExtensionWarning,
            stacklevel=2,
        )
    return None


def require(name: str) -> ModuleType:
    """Extension ``name`` for a caller that already chose the compiled path (see :func:`load`)."""
    found = load(name)
    if found is None:
        raise ImportError(f"multus_forensics.{name} is off: {reason_off(name)}")
    return found


def status() -> dict[str, str | None]:
    """Every extension -> None when in use, else why it is off (no warning)."""
    return {name: reason_off(name) for name in EXTENSIONS}
