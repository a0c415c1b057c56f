"""Decompress response bodies one bounded slice at a time.

httpx inflates each network read in one call: a 64 KiB read of a gzip bomb becomes
about 64 MB in memory before any size cap can look at it. Here every read is inflated
in slices of at most :data:`SLICE_BYTES`, so the caller's cap stops a bomb after a few
slices, and the worker's memory never sees the rest.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from newsdesk.errors import PermanentError

SLICE_BYTES = 64 * 1024
_GZIP_WBITS = zlib.MAX_WBITS | 16
_IDENTITY = ("", "identity")


def decoded_chunks(raw_chunks: Iterable[bytes], content_encoding: str, url: str) -> Iterator[bytes]:
    """Yield the decoded body in slices of at most 64 KiB; raise PermanentError(bad_encoding).

    Only gzip and deflate are undone (the two we ask for); a server that sends anything
    else, or several layers, gets ``bad_encoding`` rather than an unbounded decoder.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c not in _IDENTITY]
    if not codings:
        yield from raw_chunks
        return
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise PermanentError(
            f"{url}: unsupported content encoding {content_encoding!r}", reason="bad_encoding"
        )
    decompressor: zlib._Decompress | None = None
    try:
        for raw in raw_chunks:
            if not raw:
                continue
            if decompressor is None:
                decompressor = zlib.decompressobj(_wbits(codings[0], raw))
            yield from _inflate(decompressor, raw)
        if decompressor is not None:
            yield decompressor.flush()
    except zlib.error as exc:
        raise PermanentError(f"{url}: bad {codings[0]} data: {exc}", reason="bad_encoding") from exc


def _wbits(coding: str, first: bytes) -> int:
    if coding != "deflate":
        return _GZIP_WBITS
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    zlib_header = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


def _inflate(decompressor: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    while True:
        out = decompressor.decompress(data, SLICE_BYTES)
        if out:
            yield out
        data = decompressor.unconsumed_tail
        # A full slice may leave output pending even with no input left: ask again.
        if not data and len(out) < SLICE_BYTES:
            return
