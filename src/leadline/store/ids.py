"""Random object ids: short, unguessable strings like Fathom's `CDBUGS`."""

from __future__ import annotations

import re
import secrets

# Uppercase letters and digits without look-alikes (0/O, 1/I): 32 symbols, so 10 characters carry 50 bits.
# Site ids appear in public page source, so they must not be enumerable.
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ID_LENGTH = 10

# What any id we ever issue (or a client might reasonably send) looks like; anything else is "not found"
# before it reaches a database.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_id(length: int = ID_LENGTH) -> str:
    """A fresh random id."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def looks_like_id(value: str) -> bool:
    """Whether `value` could be an object id at all (guards stores against hostile path segments)."""
    return ID_PATTERN.fullmatch(value) is not None
