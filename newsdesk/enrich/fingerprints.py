"""Fingerprints of an article's text: word shingles, paragraph hashes and a MinHash.

Pure functions, no services: ``newsdesk.enrich.syndication`` stores these in Redis and
compares them. Hashes are crc32/blake2b, never Python's ``hash()``, which differs per
process: every worker must compute the same fingerprint for the same text.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 5
NUM_PERM = 128
# 32 bands of 4 rows: a pair with Jaccard 0.42 shares a band with probability 0.64, one
# with 0.3 only 0.23; such overlaps (versions, trimmed copies) come in through the
# paragraph index instead.
LSH_BANDS = 32
LSH_ROWS = NUM_PERM // LSH_BANDS
PARA_DIGEST_BYTES = 8
MIN_PARAGRAPH_WORDS = 8  # shorter lines ("Read more", a byline) would tie everything together
COPY_CONTAINMENT = 0.9  # this share of a text's shingles found in the original: a copy
VERSION_SHARE = 0.4  # this share of the shorter text in the longer: the same story's version
MIN_SHARED_SHINGLES = 25  # about 30 words in a row, whatever the share

_WORD_RE = re.compile(r"[^\W_]+")
# "LAKEPORT (AP) —" and "LAKEPORT —" open the same paragraph: hash it without the dateline.
_DATELINE_RE = re.compile(r"^[A-Z][A-Z .,'\u2019-]{1,40}(?:\([^)]{1,40}\))?\s*[-\u2013\u2014:]+\s+")


@dataclass(frozen=True)
class Fingerprint:
    """A text's shingle hashes (sorted, unique), paragraph hashes and MinHash signature."""

    shingles: np.ndarray
    paragraphs: tuple[str, ...]
    signature: np.ndarray

    def band_hashes(self) -> list[str]:
        """Return one short hex digest per LSH band of the signature (none for no text)."""
        if self.shingles.size == 0:
            return []  # every empty text has the same signature: it must not match all
        rows = self.signature.astype("<u4").reshape(LSH_BANDS, LSH_ROWS)
        return [hashlib.blake2b(row.tobytes(), digest_size=8).hexdigest() for row in rows]


def words(text: str) -> list[str]:
    """Return the casefolded words of a text."""
    return _WORD_RE.findall(text.casefold())


def shingle_hashes(text: str) -> np.ndarray:
    """Return the sorted unique crc32 hashes of the text's word 5-grams."""
    tokens = words(text)
    if not tokens:
        return np.zeros(0, dtype=np.uint32)
    grams = [
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(tokens) - SHINGLE_WORDS + 1))
    ]
    return np.unique(np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32))


def paragraph_hashes(body: str) -> tuple[str, ...]:
    """Return hashes of the body's normalised paragraphs long enough to be distinctive."""
    out: list[str] = []
    for line in body.splitlines():
        tokens = words(_DATELINE_RE.sub("", line.strip()))
        if len(tokens) >= MIN_PARAGRAPH_WORDS:
            digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=PARA_DIGEST_BYTES)
            out.append(digest.hexdigest())
    return tuple(dict.fromkeys(out))


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # Computed once per process: every worker must draw the same permutations (seed 1).
    permutations: tuple[np.ndarray, np.ndarray] = MinHash(
        num_perm=NUM_PERM, seed=1, scheme="affine32"
    ).permutations
    return permutations


def _identity(value: int) -> int:
    return value


def fingerprint(body: str) -> Fingerprint:
    """Return the fingerprint of an article body."""
    shingles = shingle_hashes(body)
    minhash = MinHash(
        num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=_identity,
        permutations=_permutations(),
    )  # fmt: skip
    minhash.update_batch(shingles.tolist())
    signature = np.asarray(minhash.hashvalues, dtype=np.uint32)
    return Fingerprint(shingles, paragraph_hashes(body), signature)


def containment(part: np.ndarray, whole: np.ndarray) -> float:
    """Return the share of ``part``'s shingles also in ``whole`` (0 for an empty part)."""
    if part.size == 0:
        return 0.0
    return float(np.intersect1d(part, whole, assume_unique=True).size) / part.size


def shared_share(a: Fingerprint, b: Fingerprint) -> float:
    """Return the share of the shorter text found in the longer, by shingles or paragraphs.

    Less than ``MIN_SHARED_SHINGLES`` shingles or a single paragraph in common counts as
    nothing: that much is an outlet's recurring sign-off, not a shared story.
    """
    shorter, longer = (a, b) if a.shingles.size <= b.shingles.size else (b, a)
    common_shingles = np.intersect1d(shorter.shingles, longer.shingles, assume_unique=True).size
    by_shingles = 0.0
    if common_shingles >= MIN_SHARED_SHINGLES:
        by_shingles = common_shingles / shorter.shingles.size
    common = set(shorter.paragraphs) & set(longer.paragraphs)
    by_paragraphs = len(common) / len(shorter.paragraphs) if len(common) >= 2 else 0.0
    return max(by_shingles, by_paragraphs)


def relation_to(member: Fingerprint, original: Fingerprint) -> tuple[str, int]:
    """Return ``("copy"|"version", shared paragraphs)`` of a member against its original.

    A copy is (nearly) all original text, trimmed or not; a version adds text of its own.
    """
    share = containment(member.shingles, original.shingles)
    shared = len(set(member.paragraphs) & set(original.paragraphs))
    return ("copy" if share >= COPY_CONTAINMENT else "version"), shared
