"""Form-encoded bodies are parsed strictly, once, for every endpoint that takes them."""

from __future__ import annotations

import pytest

from leadline.forms import FormError, is_form, parse_form


def test_a_form_body_gives_its_fields_as_text() -> None:
    assert parse_form(b"name=Shop&sharing=public&empty=") == {"name": "Shop", "sharing": "public", "empty": ""}
    assert parse_form(b"") == {}


def test_a_field_given_twice_is_refused_with_its_name() -> None:
    with pytest.raises(FormError) as refused:
        parse_form(b"name=a&name=b")
    assert refused.value.repeated == "name"


@pytest.mark.parametrize("body", [b"\xff=1", b"no-equals-sign"])
def test_a_malformed_body_is_refused(body: bytes) -> None:
    with pytest.raises(FormError) as refused:
        parse_form(body)
    assert refused.value.repeated is None


def test_the_media_type_decides_whether_a_body_is_a_form() -> None:
    assert is_form("application/x-www-form-urlencoded; charset=utf-8")
    assert not is_form("application/json")
    assert not is_form(None)
