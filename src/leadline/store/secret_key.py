"""The deployment's secret key: `secret_key`, else the `secret_key_file`, else a key file made in the data directory."""

from __future__ import annotations

import secrets
from pathlib import Path

from leadline.config import Settings
from leadline.store.files import ensure_private_directory, write_private_file
from leadline.store.metadata.sealed import SealingKey

GENERATED_KEY_FILE = "secret.key"
MIN_SECRET_CHARACTERS = 16


class SecretKeyError(Exception):
    """The secret key is configured but cannot be used (a file that is missing or empty, a key too short)."""


def secret_key_file(settings: Settings) -> Path:
    """Where the secret key is read from when `secret_key` is not set."""
    return settings.secret_key_file or settings.data_dir.resolve() / GENERATED_KEY_FILE


def load_secret_key(settings: Settings) -> bytes:
    """The secret key's bytes; a key file in the data directory is made on the first call when none is set."""
    if settings.secret_key is not None:
        return _checked(settings.secret_key.get_secret_value(), "LEADLINE_SECRET_KEY")
    path = secret_key_file(settings)
    if settings.secret_key_file is None and not path.exists():
        ensure_private_directory(path.parent)
        # Whoever links the file first wins; everyone then reads the same key (see write_private_file).
        write_private_file(path, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SecretKeyError(f"cannot read the secret key file {path}: {error}") from error
    return _checked(text.strip(), f"the secret key file {path}")


def sealing_key(settings: Settings) -> SealingKey:
    """The sealing key of this deployment's secrets at rest.

    A configured key is read now, so a bad one stops the start; a generated one waits for its first use.
    """
    if settings.secret_key is not None or settings.secret_key_file is not None:
        return SealingKey.of(load_secret_key(settings))
    return SealingKey(lambda: load_secret_key(settings))


def _checked(secret: str, source: str) -> bytes:
    if len(secret) < MIN_SECRET_CHARACTERS:
        raise SecretKeyError(
            f"{source} is too short: use at least {MIN_SECRET_CHARACTERS} random characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret.encode("utf-8")
