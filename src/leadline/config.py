"""Settings: one typed object read from `LEADLINE_*` environment variables and an optional `leadline.toml`."""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CONFIG_FILE_ENV = "LEADLINE_CONFIG"
DEFAULT_CONFIG_FILE = "leadline.toml"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Settings(BaseSettings):
    """Everything an operator can set. Environment variables win over the TOML file."""

    model_config = SettingsConfigDict(env_prefix="LEADLINE_", extra="forbid", frozen=True)

    data_dir: Path = Field(Path("leadline-data"), description="Directory for the embedded stores.")
    database_url: str | None = Field(
        None, description="Metadata store URL (SQLAlchemy); default: a SQLite file in data_dir."
    )
    events_url: str | None = Field(
        None, description="Event store URL; default: a DuckDB file in data_dir (duckdb:///path)."
    )
    host: str = Field("127.0.0.1", description="Address `leadline serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `leadline serve` binds to.")
    workers: int = Field(1, ge=1, le=64, description="Server worker processes.")
    base_url: str | None = Field(
        None, description="Public base URL of this deployment, e.g. https://stats.example.com."
    )
    management_rate_limit: str = Field(
        "2000/hour", description="Per-key limit for /v1 management operations (limits syntax)."
    )
    reports_rate_limit: str = Field(
        "10/minute", description="Per-key limit for /v1/aggregations and /v1/current_visitors."
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counters live (a `limits` storage URI): memory:// counts in this process.",
    )
    token_rate_limit: str = Field(
        "60/minute", description="Per-client limit of POST /oauth2/token (Integration API; limits syntax)."
    )
    token_failure_rate_limit: str = Field(
        "10/minute",
        description="Per-source-address limit of failed client authentications at POST /oauth2/token (limits syntax).",
    )
    token_lifetime_seconds: int = Field(
        3600, ge=1, le=86400, description="Lifetime of Integration API access tokens, in seconds."
    )
    integrations_rate_limit: str = Field(
        "600/minute", description="Per-client limit of the Integration API's GraphQL and downloads (limits syntax)."
    )
    integrations_require_user_agent: bool = Field(
        False, description="Refuse Integration API requests (token, GraphQL, downloads) without a User-Agent header."
    )
    publication_grace_seconds: int = Field(
        3600,
        ge=0,
        le=7 * 86400,
        description="How long after a day closes (site time) its publications wait for late hits.",
    )
    publication_interval_seconds: float = Field(
        900, gt=0, le=86400, description="How often the server looks for closed days to publish or re-publish."
    )
    publication_lookback_days: int = Field(
        7, ge=1, le=400, description="Closed days the publisher re-checks each run; older days: `leadline publish`."
    )
    cold_after_days: int = Field(
        35,
        ge=7,
        le=36500,
        description="Settled days older than this go to the DuckDB store's cold tier (Parquet files: fewer bytes, "
        "slower to read); reports of later days read only its tables.",
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted (413 above).")
    log_level: str = Field("info", description="Log level: debug, info, warning or error.")
    client_ip_header: str | None = Field(
        None, description="Header a trusted reverse proxy puts the client address in (e.g. X-Forwarded-For)."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated CIDR networks of the proxies allowed to set client_ip_header "
        "(e.g. 127.0.0.1/32,10.0.0.0/8); empty: only loopback peers.",
    )
    geoip_city_database: Path | None = Field(
        None, description="A MaxMind City .mmdb file; adds cities (countries need no file)."
    )
    spool_segment_seconds: float = Field(1.0, gt=0, le=60, description="Longest a spool segment stays open.")
    spool_fsync_before_ack: bool = Field(
        False,
        description="Acknowledge a hit only after its spool write is fsynced (survives power loss; slower). "
        "Otherwise hits are acknowledged once written and fsynced within milliseconds.",
    )
    spool_fsync_interval_seconds: float = Field(
        0.01, gt=0, le=1, description="How often the spool is fsynced (bounds what a power loss could take)."
    )
    flush_interval_seconds: float = Field(0.5, gt=0, le=60, description="How often closed segments are stored.")
    max_events_per_site: int = Field(
        500,
        ge=1,
        le=1_000_000,
        description="Most events a site can have; hits naming a new event beyond it are dropped.",
    )
    new_event_rate_limit: str = Field(
        "100/hour", description="Per-site limit of event names created by hits (limits syntax)."
    )
    report_max_rows: int = Field(
        10_000,
        ge=1,
        le=1_000_000,
        description="Most rows one report may answer; a bigger answer or `limit` is refused (400).",
    )
    report_max_time_buckets: int = Field(
        10_000, ge=1, le=1_000_000, description="Most time buckets a report may group into (400 beyond it)."
    )
    report_timeout_seconds: float = Field(
        10.0, gt=0, le=600, description="A report running longer is interrupted and answered 503."
    )
    secret_key: SecretStr | None = Field(
        None, description="Key that encrypts secrets at rest (signing keys); any long random string."
    )
    secret_key_file: Path | None = Field(
        None, description="A file holding secret_key (owner-only); made in data_dir when neither is set."
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token for GET /metrics (Prometheus); unset, /metrics answers 404."
    )
    shutdown_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Longest a SIGTERM shutdown waits for requests and the spool flush."
    )
    session_lifetime_seconds: int = Field(
        14 * 86400, ge=300, le=365 * 86400, description="How long a dashboard sign-in lasts."
    )
    login_rate_limit: str = Field(
        "10/15 minutes", description="Per-email limit of failed dashboard sign-ins (limits syntax)."
    )
    share_password_rate_limit: str = Field(
        "10/15 minutes", description="Per-site limit of wrong passwords on a private share link (limits syntax)."
    )
    bench_bare_endpoint: bool = Field(
        False, description="Serve POST /api/bare (answers 204, does nothing): the baseline of bench/ingest.py."
    )
    redis_url: str | None = Field(
        None,
        description="Redis that workers share (redis://, rediss:// or unix://): sessions, cache invalidation, "
        "the job lock, and rate limits unless rate_limit_storage is set; required for workers > 1.",
    )
    spool_max_bytes: int = Field(
        1 << 30,
        ge=1 << 20,
        description="Most bytes of spooled hits not yet stored; beyond it hits are refused (503, Retry-After).",
    )
    spool_min_free_bytes: int = Field(
        100 << 20,
        ge=0,
        description="Disk space the spool leaves free; with less, hits are refused (503, Retry-After). 0: no check.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @field_validator(
        "management_rate_limit",
        "reports_rate_limit",
        "token_rate_limit",
        "token_failure_rate_limit",
        "integrations_rate_limit",
        "new_event_rate_limit",
        "login_rate_limit",
        "share_password_rate_limit",
    )
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError as error:
            raise ValueError(f"not a rate limit such as '10/minute': {value!r}") from error
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_trusted_proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(REDIS_SCHEMES):
            raise ValueError(f"not a Redis URL such as redis://127.0.0.1:6379/0: {value!r}")
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_log_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of: debug, info, warning, error")
        return value.lower()

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The trusted_proxies setting, parsed."""
        return parse_networks(self.trusted_proxies)

    @cached_property
    def metadata_url(self) -> str:
        """The metadata store URL, defaulting to a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'leadline.sqlite3'}"

    @cached_property
    def event_store_url(self) -> str:
        """The event store URL, defaulting to a DuckDB file in the data directory."""
        return self.events_url or f"duckdb:///{self.data_dir.resolve() / 'events.duckdb'}"

    @cached_property
    def rate_limit_storage_url(self) -> str:
        """Where rate-limit counters live: rate_limit_storage if set, else the shared Redis if any, else memory."""
        if self.redis_url is None or self.rate_limit_storage != "memory://":
            return self.rate_limit_storage
        # The `limits` library names a Redis on a Unix socket redis+unix://; TCP URLs it takes as they are.
        return "redis+" + self.redis_url if self.redis_url.startswith("unix://") else self.redis_url


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDR networks (a bare address is a /32 or /128); a ValueError names the bad one."""
    networks: list[IPNetwork] = []
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        try:
            # strict: "10.0.0.1/8" is refused rather than silently widened or narrowed, in a setting about trust.
            networks.append(ipaddress.ip_network(part, strict=True))
        except ValueError as error:
            raise ValueError(f"not a CIDR network such as 10.0.0.0/8: {part!r} ({error})") from error
    return tuple(networks)
