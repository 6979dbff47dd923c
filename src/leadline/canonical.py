"""How a publication is hashed and signed; the server signs with it and the SDK verifies with it.

Both the rows and the signed facts are encoded as RFC 8785 JSON (JCS): sorted keys, no whitespace, numbers in
their shortest round-trip form, so any language with a JCS library can recompute the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"

Cell = str | int | float
"""A row cell as published: DATE columns as `YYYY-MM-DD` text, STRING as text, INT as int, FLOAT as float."""

# The publication facts the signature covers, besides the rows (which it covers through `rowsSha256`).
SIGNED_FIELDS = (
    "algorithm",
    "branchId",
    "columns",
    "datasetId",
    "day",
    "keyId",
    "publicationId",
    "rowCount",
    "rowsSha256",
    "signatureId",
    "signerEmail",
    "supersedesId",
    "timestampIso8601",
    "timezone",
    "version",
)


def _cell(value: object) -> Cell:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"a published cell is text, an integer or a float, not {type(value).__name__}")
    return value


def canonical_rows(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """The RFC 8785 encoding of `{"columns": [...], "rows": [[...], ...]}`, rows in the order given."""
    return rfc8785.dumps({"columns": list(columns), "rows": [[_cell(value) for value in row] for row in rows]})


def rows_sha256(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Hex SHA-256 of the canonical rows."""
    return hashlib.sha256(canonical_rows(columns, rows)).hexdigest()


def signed_message(facts: Mapping[str, object]) -> bytes:
    """The bytes a publication's signature covers: the RFC 8785 encoding of exactly SIGNED_FIELDS."""
    missing = [name for name in SIGNED_FIELDS if name not in facts]
    if missing:
        raise KeyError(f"publication facts lack {', '.join(missing)}")
    chosen: dict[str, Any] = {name: facts[name] for name in SIGNED_FIELDS}
    return rfc8785.dumps(chosen)


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    """A base64 Ed25519 signature of `message`."""
    return base64.b64encode(private_key.sign(message)).decode("ascii")


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64."""
    return base64.b64encode(private_key.public_key().public_bytes_raw()).decode("ascii")


def signature_is_valid(public_key: str, signature: str, message: bytes) -> bool:
    """Whether `signature` (base64) over `message` was made by the key whose raw public bytes are `public_key`."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
