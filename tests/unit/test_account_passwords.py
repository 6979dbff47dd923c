"""Sign-in by email and password: an unknown email costs what a wrong password costs."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from leadline.store.metadata.accounts import STAND_IN_HASH


def test_an_unknown_email_is_checked_against_a_stand_in_hashed_like_every_password() -> None:
    hasher = PasswordHasher()
    # Same algorithm, memory, passes and lanes as the hasher's: so a check against it takes as long.
    assert not hasher.check_needs_rehash(STAND_IN_HASH)
    assert hasher.verify(STAND_IN_HASH, "leadline: no such account")
    with pytest.raises(VerifyMismatchError):
        hasher.verify(STAND_IN_HASH, "any password a visitor tries")
