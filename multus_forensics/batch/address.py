"""Dask scheduler addresses checked before ``distributed`` sees them.

``distributed`` turns some malformed addresses into odd failures far from the cause
(``notaurl::`` ended in a ``MemoryError`` asking for 3 EiB); an address is checked here and
refused with a message that says what a scheduler address looks like.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from multus_forensics.errors import InputError

#: the protocols a ``distributed`` scheduler listens on
SCHEMES: Final = ("tcp", "tls", "ws", "wss", "ucx")


def scheduler_address(text: str) -> str:
    """``text`` when it is ``PROTOCOL://HOST:PORT`` (or ``HOST:PORT``, read as tcp); an
    :class:`InputError` naming the problem otherwise."""
    shown = repr(text)
    address = text if "://" in text else f"tcp://{text}"
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as exc:
        raise InputError(
            f"scheduler address {shown}: not an address ({exc}); use tcp://HOST:PORT"
        ) from None
    if parts.scheme not in SCHEMES:
        raise InputError(
            f"scheduler address {shown}: unknown protocol {parts.scheme!r} "
            f"(one of {', '.join(SCHEMES)}); use tcp://HOST:PORT"
        )
    if not parts.hostname or port is None or parts.path not in ("", "/") or parts.query:
        raise InputError(
            f"scheduler address {shown}: not HOST:PORT; use tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
        )
    return address
