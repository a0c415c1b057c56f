"""Bodies are inflated in bounded slices; odd or broken encodings are one reason."""

from __future__ import annotations

import gzip
import zlib

import pytest

from newsdesk.errors import PermanentError
from newsdesk.http.decode import SLICE_BYTES, decoded_chunks

TEXT = b"<p>Harbour news, repeated.</p>" * 5_000


def _split(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("", TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),  # zlib-wrapped, as the RFC says
        ("deflate", zlib.compress(TEXT)[2:-4]),  # raw deflate, as many servers send
    ],
)
def test_supported_encodings_round_trip(encoding: str, body: bytes) -> None:
    assert b"".join(decoded_chunks(_split(body), encoding, "http://a.example/")) == TEXT


def test_a_bomb_inflates_one_small_slice_at_a_time() -> None:
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))
    # The whole 64 MB bomb arrives in one read; still no slice is larger than 64 KiB.
    slices = decoded_chunks([bomb], "gzip", "http://a.example/")
    for _, piece in zip(range(50), slices, strict=False):
        assert len(piece) <= SLICE_BYTES


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("br", b"\x0b\x02\x80hello\x03"), ("gzip, gzip", gzip.compress(gzip.compress(TEXT))),
     ("gzip", b"this is not gzip at all")],
)  # fmt: skip
def test_unsupported_or_broken_encodings_are_bad_encoding(encoding: str, body: bytes) -> None:
    with pytest.raises(PermanentError) as info:
        b"".join(decoded_chunks([body], encoding, "http://a.example/"))
    assert info.value.reason == "bad_encoding"
    assert "http://a.example/" in str(info.value)
