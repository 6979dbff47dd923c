"""SQLAlchemy Core tables of the metadata store (portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    # Argon2id of the dashboard password; None: the account cannot sign in (API keys only).
    Column("password_hash", String(255), nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(16), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    # SHA-256 of the whole key; keys are 256-bit random secrets, so a fast hash is enough.
    Column("key_hash", String(64), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Index("ix_api_keys_account_id", "account_id"),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(16), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("sharing", String(16), nullable=False),
    Column("share_password_hash", String(255), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("multi_domain", Boolean, nullable=False),
    Column("multi_domain_option", String(16), nullable=True),
    # A single-domain site is bound to the first hostname that reports to it (without "www.").
    Column("primary_hostname", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_sites_account_order", "account_id", "created_at", "id"),
)

events = Table(
    "events",
    metadata,
    Column("site_id", String(16), ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("site_id", "name", name="uq_events_site_id_name"),
    Index("ix_events_site_order", "site_id", "created_at", "id"),
)

milestones = Table(
    "milestones",
    metadata,
    Column("site_id", String(16), ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("milestone_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_milestones_site_order", "site_id", "created_at", "id"),
)

# Daily visitor-hash salts: created at the first hit of a UTC day, destroyed two days later.
salts = Table(
    "salts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("salt", LargeBinary(32), nullable=False),
)

# Integration API: OAuth2 clients of an account, each subscribed to datasets of one site.
integration_clients = Table(
    "integration_clients",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(16), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("site_id", String(16), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    # SHA-256 of the client secret (a 256-bit random string), as for API keys.
    Column("secret_hash", String(64), nullable=False),
    Column("datasets", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Index("ix_integration_clients_account_id", "account_id"),
)

# Opaque access tokens, stored only as SHA-256; deleting a client's rows ends its tokens at once.
integration_tokens = Table(
    "integration_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("client_id", String(16), ForeignKey("integration_clients.id", ondelete="CASCADE"), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_integration_tokens_client_id", "client_id"),
)

# An account's Ed25519 signing keys; the newest signs new publications, older ones stay to verify old ones.
# The private key is kept here, with the rest of the deployment's secrets, so any server can publish.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(16), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("private_key", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_signing_keys_account_id", "account_id"),
)

# A publication freezes one closed day of a dataset of a site: its rows, their SHA-256 and a signature.
# Late data makes a new version for the same day (supersedes_id names the one it replaces); rows never change.
publications = Table(
    "publications",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("site_id", String(16), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("dataset", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("supersedes_id", String(16), nullable=True),
    Column("branch_id", String(64), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("rows_sha256", String(64), nullable=False),
    Column("key_id", String(16), ForeignKey("signing_keys.id"), nullable=False),
    Column("signature_id", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("signer_email", String(320), nullable=False),
    # The signed ISO 8601 text (site time, with offset), kept as signed; published_at (UTC) orders and filters.
    Column("timestamp_iso8601", String(40), nullable=False),
    Column("published_at", DateTime, nullable=False),
    UniqueConstraint("site_id", "dataset", "day", "version", name="uq_publications_site_dataset_day_version"),
    Index("ix_publications_site_order", "site_id", "published_at"),
)

# The canonical encoding (RFC 8785 JSON) of a publication's rows: exactly the bytes rows_sha256 covers.
publication_rows = Table(
    "publication_rows",
    metadata,
    Column("publication_id", String(16), ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)
