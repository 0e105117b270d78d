"""Generators of hostile and damaged inputs, shared by ``tests/test_hostile_*.py`` (small
scales) and ``benchmarks/bench_hostile.py`` (the full sizes of issue 13).

Every input is built here from scratch: logs, compressed streams, archives, bombs, FIFOs.
Sizes are parameters so a test runs in seconds and the benchmark at full size.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Final

#: a kubelet journal line as ``journalctl -u kubelet -o short`` writes it (year-less stamp)
LINE: Final = (
    "Mar 11 13:{m:02d}:{s:02d} edge-node-2 kubelet[2231]: E0311 13:{m:02d}:{s:02d}.{us:06d}"
    '    2231 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: '
    'code = Unknown desc = failed to setup network for sandbox \\"{sb}\\": plugin '
    'type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): [lab/probe-{i}/uid:macvlan]: '
    'error adding container to network \\"macvlan\\": failed to create macvlan: device or '
    'resource busy" pod="lab/probe-{i}"\n'
)


def log_lines(n: int, start: int = 0, pods: int = 40) -> bytes:
    """``n`` kubelet journal lines (failed sandboxes of ``pods`` pods), deterministic."""
    out = []
    for k in range(start, start + n):
        out.append(
            LINE.format(
                m=(k // 600) % 60,
                s=(k // 10) % 60,
                us=(k * 7919) % 1_000_000,
                sb=f"{k:064x}",
                i=k % pods,
            )
        )
    return "".join(out).encode()


def write_log(path: Path, size: int) -> Path:
    """A kubelet journal of at least ``size`` bytes (a block of lines repeated)."""
    block = log_lines(2000)
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            fh.write(block)
            written += len(block)
    return path


def gzip_of_lines(path: Path, expanded: int) -> Path:
    """A gzip that expands to ``expanded`` bytes of log lines (a small file, a large text: the
    block repeats within deflate's 32 KiB window, as issue 13's 41 MB for 2 GiB did)."""
    block = log_lines(40)
    with gzip.open(path, "wb", compresslevel=1) as fh:
        written = 0
        while written < expanded:
            fh.write(block)
            written += len(block)
    return path


def zstd_zeros(path: Path, expanded: int, frame: int = 64 * 1024**2) -> Path:
    """A ``.zst`` of ``expanded`` zero bytes as repeated frames (10 GiB fit in ~330 KB)."""
    import zstandard

    one = zstandard.ZstdCompressor(level=3).compress(b"\0" * min(frame, expanded))
    with open(path, "wb") as fh:
        for _ in range(max(1, expanded // frame)):
            fh.write(one)
    return path


def gzip_zeros(path: Path, expanded: int) -> Path:
    """A gzip of ``expanded`` zero bytes, streamed (the zstd case's gzip baseline)."""
    chunk = b"\0" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as fh:
        for _ in range(expanded >> 20):
            fh.write(chunk)
    return path


def _deflate_zeros(n: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    parts = [comp.compress(chunk) for _ in range(n >> 20)]
    parts.append(comp.compress(b"\0" * (n & ((1 << 20) - 1))))
    parts.append(comp.flush())
    return b"".join(parts)


def nested_zip_bomb(path: Path, leaf: int, fanout: int = 16, levels: int = 4) -> Path:
    """A 42.zip-style bomb: ``levels`` of zips holding ``fanout`` copies of the level below;
    the leaves are ``leaf`` zero bytes each (42.zip: 16 x 4 levels, 4.3 GB leaves)."""
    data = _deflate_zeros(leaf)
    crc = 0
    chunk = b"\0" * (1 << 20)
    for _ in range(leaf >> 20):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(b"\0" * (leaf & ((1 << 20) - 1)), crc)
    level = _raw_zip([(f"{i}.log", data, crc, leaf) for i in range(fanout)])
    for depth in range(1, levels):
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = comp.compress(level) + comp.flush()
        crc = zlib.crc32(level)
        level = _raw_zip([(f"l{depth}-{i}.zip", packed, crc, len(level)) for i in range(fanout)])
    path.write_bytes(level)
    return path


def _raw_zip(members: Sequence[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated members (name, deflated bytes, crc32, size): no recompression."""
    import struct

    out = io.BytesIO()
    central = []
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        zip64 = size >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if zip64 else b""
        usize, csize = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (size, len(data))
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                45,
                0,
                8,
                0,
                0x21,
                crc,
                csize,
                usize,
                len(encoded),
                len(extra),
            )
            + encoded
            + extra
            + data
        )
        cextra = struct.pack("<HHQQQ", 1, 24, size, len(data), offset) if zip64 else b""
        coffset = 0xFFFFFFFF if zip64 else offset
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                45,
                45,
                0,
                8,
                0,
                0x21,
                crc,
                csize,
                usize,
                len(encoded),
                len(cextra),
                0,
                0,
                0,
                0,
                coffset,
            )
            + encoded
            + cextra
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size,
                          start, 0))  # fmt: skip
    return out.getvalue()


def tiny_member_tar(path: Path, members: int) -> Path:
    """A tar.gz of ``members`` one-line logs (bookkeeping per member, not bytes, is the load)."""
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for i in range(members):
            data = log_lines(1, start=i)
            info = tarfile.TarInfo(f"node/pods/p{i}/kubelet.log")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def truncated_tar(path: Path, members: int = 10) -> Path:
    """A tar of ``members`` logs cut in the middle of its data (half the members lost)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(members):
            data = log_lines(20, start=i * 20)
            info = tarfile.TarInfo(f"logs/kubelet-{i}.log")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def gzip_then_garbage(path: Path) -> Path:
    """A gzip header followed by random bytes (a corrupt download)."""
    head = gzip.compress(b"")[:10]
    path.write_bytes(head + os.urandom(4096))
    return path


def zip_without_central_directory(path: Path, members: int = 4) -> Path:
    """A zip whose central directory was cut off (an interrupted download): its members'
    local headers and data are intact."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"logs/kubelet-{i}.log", log_lines(10, start=i * 10))
    raw = buf.getvalue()
    cut = raw.find(b"PK\x01\x02")
    path.write_bytes(raw[:cut])
    return path


def escape_log(path: Path) -> Path:
    """A kubelet log whose pod name and error carry ESC, OSC (retitle), BEL and CR."""
    evil = "\x1b]0;pwned\x07\x1b[31mRED\x1b[0m\rX"
    line = LINE.format(m=0, s=1, us=1, sb="a" * 64, i=0).replace(
        'err="rpc error:', f'err="{evil} rpc error:'
    )
    path.write_bytes(line.encode())
    return path


def long_lines(path: Path, lines: int, width: int) -> Path:
    """``lines`` error lines of ``width`` 'a's: food for a catastrophic user regex."""
    body = "".join(
        f"Mar 11 13:00:{i % 60:02d} n kubelet[1]: E0311 13:00:{i % 60:02d}.000000 1 x.go:1] "
        f'"Failed" err="{"a" * width}!"\n'
        for i in range(lines)
    )
    path.write_text(body)
    return path


def cli(
    *args: str, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``multus-forensics`` in a child process (real exit code, real signals)."""
    return subprocess.run(
        [sys.executable, "-m", "multus_forensics", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
