"""Revocation with a W3C Bitstring Status List.

Each credential gets an index in one list of :data:`SIZE` bits (the specification's minimum,
131,072, so that a list does not reveal how many credentials exist); bit 1 means revoked. The
list travels GZIP-compressed, base64url-encoded with a multibase ``u`` prefix, inside a
``BitstringStatusListCredential`` that the issuer signs like any credential.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

SIZE = 131_072


def encode(revoked: Iterable[int], size: int = SIZE) -> str:
    """The ``encodedList`` with the bits at ``revoked`` set (bit 0 is the first, leftmost)."""
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def is_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set.

    Raises:
        ValueError: not a multibase base64url GZIP bitstring, or the index is outside it.
    """
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"status index {index} is outside the list of {len(bits) * 8}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
