"""Identifiers: time-ordered so that newest-first listings need no extra sort key."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """e.g. `reg_01jc5x8k9z3h7q2m4n6p8r0t`: 10 chars of milliseconds, 16 random."""
    return f"{prefix}_{_b32(int(time.time() * 1000), 10)}{_b32(secrets.randbits(80), 16)}"
