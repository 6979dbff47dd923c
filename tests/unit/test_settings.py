"""Settings: environment variables win over leadline.toml, which wins over the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from leadline.config import Settings


@pytest.fixture
def toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"LEADLINE_{name.upper()}", raising=False)
    path = tmp_path / "leadline.toml"
    monkeypatch.setenv("LEADLINE_CONFIG", str(path))
    return path


def test_defaults_use_the_embedded_stores_in_the_data_directory(toml_file: Path) -> None:
    settings = Settings()
    assert settings.data_dir == Path("leadline-data")
    assert settings.metadata_url.startswith("sqlite:///") and settings.metadata_url.endswith("leadline.sqlite3")
    assert settings.event_store_url.startswith("duckdb:///") and settings.event_store_url.endswith("events.duckdb")
    assert (settings.management_rate_limit, settings.reports_rate_limit) == ("2000/hour", "10/minute")


def test_the_toml_file_sets_values(toml_file: Path) -> None:
    toml_file.write_text('port = 9000\nreports_rate_limit = "20/minute"\n')
    assert (Settings().port, Settings().reports_rate_limit) == (9000, "20/minute")


def test_the_environment_wins_over_the_toml_file(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml_file.write_text("port = 9000\n")
    monkeypatch.setenv("LEADLINE_PORT", "9100")
    assert Settings().port == 9100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEADLINE_PORT", "0"),
        ("LEADLINE_REPORTS_RATE_LIMIT", "lots"),
        ("LEADLINE_TOKEN_FAILURE_RATE_LIMIT", "lots"),
        ("LEADLINE_LOG_LEVEL", "chatty"),
        ("LEADLINE_COLD_AFTER_DAYS", "3"),  # days that may not be settled yet
    ],
)
def test_invalid_values_are_refused(toml_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_unknown_toml_keys_are_refused(toml_file: Path) -> None:
    toml_file.write_text("prot = 9000\n")
    with pytest.raises(ValidationError):
        Settings()


def test_trusted_proxies_are_a_comma_separated_cidr_list(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLINE_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8,::1")
    networks = [str(network) for network in Settings().trusted_proxy_networks]
    assert networks == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


def test_by_default_no_proxy_is_trusted_and_failed_token_requests_are_limited(toml_file: Path) -> None:
    settings = Settings()
    assert (settings.trusted_proxy_networks, settings.token_failure_rate_limit) == ((), "10/minute")


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/8", "proxy.internal", "10.0.0.0/8;192.168.0.0/16"])
def test_a_bad_trusted_proxy_network_is_refused_by_name(
    toml_file: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LEADLINE_TRUSTED_PROXIES", value)
    with pytest.raises(ValidationError, match="not a CIDR network"):
        Settings()
