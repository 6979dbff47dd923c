"""Whether a backup can carry the secret key, or its manifest must tell the operator to bring the same key."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from leadline.admin.context import secret_key_source
from leadline.config import Settings
from leadline.store.secret_key import secret_key_file


def source_for(settings: Settings) -> tuple[str, str | None]:
    source = secret_key_source(settings, secret_key_file(settings))
    return source.kind, source.file_name


def test_the_generated_key_file_in_the_data_directory_goes_into_the_backup(tmp_path: Path) -> None:
    assert source_for(Settings(data_dir=tmp_path)) == ("data_dir", "secret.key")


def test_a_key_from_the_environment_stays_out_and_the_note_says_the_same_key_is_needed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 32))
    source = secret_key_source(settings, secret_key_file(settings))

    assert (source.kind, source.file_name) == ("environment", None)
    assert "LEADLINE_SECRET_KEY" in source.note and "same key" in source.note


def test_a_key_file_outside_the_data_directory_stays_out(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key_file=tmp_path / "etc" / "leadline.key")

    assert source_for(settings) == ("file", None)


def test_a_key_file_configured_inside_the_data_directory_goes_into_the_backup(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key_file=tmp_path / "my.key")

    assert source_for(settings) == ("data_dir", "my.key")
