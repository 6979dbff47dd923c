"""The permission model: parsing grants and what each one allows."""

from __future__ import annotations

import pytest

from leadline.api.permissions import Grant, Need, allows, parse_permission


@pytest.mark.parametrize(
    ("text", "grant"),
    [
        ("*", Grant("*")),
        ("all-sites-readonly", Grant("all-sites-readonly")),
        ("read:CDBUGS", Grant("read", "CDBUGS")),
        ("manage:CDBUGS", Grant("manage", "CDBUGS")),
    ],
)
def test_written_permissions_parse_and_print_back(text: str, grant: Grant) -> None:
    assert parse_permission(text) == grant
    assert str(grant) == text


@pytest.mark.parametrize("text", ["", "**", "read", "read:", "write:CDBUGS", "manage:bad id", "READ:CDBUGS"])
def test_anything_else_is_not_a_permission(text: str) -> None:
    with pytest.raises(ValueError, match="invalid permission"):
        parse_permission(text)


def test_full_access_allows_everything() -> None:
    assert all(allows([Grant("*")], need, "ANY") for need in Need)


def test_read_only_keys_read_every_site_but_change_none() -> None:
    grants = [Grant("all-sites-readonly")]
    assert allows(grants, Need.LIST_SITES) and allows(grants, Need.READ_SITE, "X")
    assert not allows(grants, Need.MANAGE_SITE, "X") and not allows(grants, Need.FULL_ACCESS)


def test_site_grants_apply_to_their_site_only() -> None:
    read, manage = [Grant("read", "X")], [Grant("manage", "X")]
    assert allows(read, Need.READ_SITE, "X") and not allows(read, Need.READ_SITE, "Y")
    assert not allows(read, Need.MANAGE_SITE, "X")
    assert allows(manage, Need.MANAGE_SITE, "X") and allows(manage, Need.READ_SITE, "X")
    assert not allows(manage, Need.LIST_SITES) and not allows(manage, Need.FULL_ACCESS)


def test_any_valid_key_may_read_its_account() -> None:
    assert allows([], Need.ANY_KEY)
