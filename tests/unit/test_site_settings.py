"""Rules that span several site fields, checked on the merged settings."""

from __future__ import annotations

import pytest

from leadline.store.metadata.sites import InvalidSiteSettingsError, SiteSettings, apply_site_changes

PLAIN = SiteSettings(name="Site")
PRIVATE = SiteSettings(name="Site", sharing="private", has_share_password=True)


def test_private_sharing_requires_a_password() -> None:
    with pytest.raises(InvalidSiteSettingsError, match="share_password is required"):
        apply_site_changes(PLAIN, {"sharing": "private"})


def test_a_stored_password_satisfies_private_sharing() -> None:
    assert apply_site_changes(PRIVATE, {"name": "Renamed"}).has_share_password


def test_a_password_without_private_sharing_is_refused() -> None:
    with pytest.raises(InvalidSiteSettingsError, match="only be set when sharing is private"):
        apply_site_changes(PLAIN, {"share_password": "pw"})


def test_leaving_private_forgets_the_password() -> None:
    assert not apply_site_changes(PRIVATE, {"sharing": "public"}).has_share_password


def test_multi_domain_requires_an_option() -> None:
    with pytest.raises(InvalidSiteSettingsError, match="multi_domain_option is required"):
        apply_site_changes(PLAIN, {"multi_domain": True})
    on = apply_site_changes(PLAIN, {"multi_domain": True, "multi_domain_option": "combined"})
    assert on.multi_domain_option == "combined"
    assert apply_site_changes(on, {"multi_domain": False}).multi_domain_option is None


def test_an_option_without_multi_domain_is_refused() -> None:
    with pytest.raises(InvalidSiteSettingsError, match="only be set when multi_domain is true"):
        apply_site_changes(PLAIN, {"multi_domain_option": "separate"})
