"""The owner side's rules without a browser: passwords, share-link digests, safe redirects, headers, trend lines."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher

from leadline.dashboard.security import content_security_policy
from leadline.dashboard.sign_in import next_path
from leadline.dashboard.site_settings import general_changes
from leadline.dashboard.sparkline import points, sparkline
from leadline.deployment import Deployment
from leadline.store.metadata.accounts import WeakPasswordError
from leadline.store.metadata.share_passwords import (
    hash_share_password,
    verify_share_password,
    verify_share_password_digest,
)


def test_an_account_signs_in_only_with_its_password(deployment: Deployment) -> None:
    accounts = deployment.metadata.accounts
    account = accounts.create("Owner", "owner@example.test")
    assert accounts.verify_password("owner@example.test", "anything at all") is None  # no password yet
    accounts.set_password(account.id, "a long enough password")
    assert accounts.verify_password("owner@example.test", "a long enough password") == account
    assert accounts.verify_password("owner@example.test", "a long enough passwore") is None
    assert accounts.verify_password("nobody@example.test", "a long enough password") is None


def test_short_passwords_are_refused(deployment: Deployment) -> None:
    account = deployment.metadata.accounts.create("Owner", "owner@example.test")
    with pytest.raises(WeakPasswordError, match="at least 10 characters"):
        deployment.metadata.accounts.set_password(account.id, "123456789")


def test_the_password_stamp_changes_with_the_password_and_reveals_no_hash(deployment: Deployment) -> None:
    accounts = deployment.metadata.accounts
    account = accounts.create("Owner", "owner@example.test")
    assert accounts.password_stamp(account.id) is None
    accounts.set_password(account.id, "first password")
    first = accounts.password_stamp(account.id)
    accounts.set_password(account.id, "second password")
    second = accounts.password_stamp(account.id)
    assert first and second and first != second and "$argon2" not in second


def test_an_outdated_hash_is_replaced_on_sign_in(deployment: Deployment) -> None:
    accounts = deployment.metadata.accounts
    account = accounts.create("Owner", "owner@example.test")
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("an old password")
    with deployment.metadata.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE accounts SET password_hash = ? WHERE id = ?", (weak, account.id))
    before = accounts.password_stamp(account.id)
    assert accounts.verify_password("owner@example.test", "an old password") == account
    assert accounts.password_stamp(account.id) != before  # rehashed with today's parameters
    assert accounts.verify_password("owner@example.test", "an old password") == account


def test_a_share_link_admits_with_the_sha256_of_the_password_only() -> None:
    stored = hash_share_password("carrots and more")
    digest = hashlib.sha256(b"carrots and more").hexdigest()
    assert verify_share_password(stored, "carrots and more")
    assert verify_share_password_digest(stored, digest)
    assert verify_share_password_digest(stored, digest.upper())  # hex is hex
    assert not verify_share_password_digest(stored, "carrots and more")  # the password itself is no digest
    assert not verify_share_password_digest(stored, hashlib.sha256(b"carrots").hexdigest())


def test_share_passwords_hashed_before_links_existed_still_admit_through_the_prompt() -> None:
    legacy = PasswordHasher().hash("carrots and more")
    assert verify_share_password(legacy, "carrots and more")
    assert not verify_share_password(legacy, "carrots")


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/sites/ABC/settings", "/sites/ABC/settings"),
        (None, "/sites"),
        ("https://evil.example/", "/sites"),
        ("//evil.example/", "/sites"),
        ("/\\evil.example", "/sites"),
    ],
)
def test_after_signing_in_only_paths_of_this_server_are_followed(asked: str | None, goes_to: str) -> None:
    assert next_path(asked) == goes_to


def test_only_the_embed_may_be_framed_and_scripts_need_the_nonce() -> None:
    page, embed = content_security_policy("n0nce", False), content_security_policy("n0nce", True)
    assert "frame-ancestors 'none'" in page and "frame-ancestors *" in embed
    assert "script-src 'self' 'nonce-n0nce'" in page and "unsafe-inline" not in page.split("style-src-attr")[0]


def test_a_trend_line_spans_the_width_and_its_peak_touches_the_top() -> None:
    assert points([]) == ""
    assert points([0, 5, 10], width=104, height=24) == "2.0,22.0 52.0,12.0 102.0,2.0"
    assert points([0, 0]) == "2.0,30.0 118.0,30.0"  # no traffic: a flat line at the bottom
    assert 'aria-label="&lt;b&gt; visitors"' in sparkline([1, 2], "<b> visitors")


def test_the_settings_form_sends_the_domain_only_when_the_owner_changed_it() -> None:
    form = {"name": "Shop", "timezone": "UTC", "sharing": "none"}
    kept = general_changes({**form, "domains": "shop.example", "domains_shown": "shop.example"})
    assert "domains" not in kept  # saving the name must not rewrite a binding a hit made meanwhile
    assert general_changes({**form, "domains": "www.shop.example", "domains_shown": "shop.example"})["domains"] == [
        "www.shop.example"
    ]
    assert general_changes({**form, "domains": "", "domains_shown": "shop.example"})["domains"] == []  # reset
    several = general_changes({**form, "multi_domain": "true", "domains": "", "domains_shown": "shop.example"})
    assert "domains" not in several  # multi-domain sites have no binding to set
