"""Leadline's Python SDK: REST API v1 and Integration API clients (sync and async), typed results, retries.

The async clients are written once in `_async/`; the sync ones in `_sync/` are generated from them by
scripts/unasync_client.py. Everything public is imported from here.
"""

from leadline.client._async.integration import AsyncIntegrationApiClient
from leadline.client._async.rest import (
    AsyncEvents,
    AsyncIntegrationClients,
    AsyncLeadlineClient,
    AsyncMilestones,
    AsyncSites,
)
from leadline.client._defaults import default_user_agent
from leadline.client._retry import RetryPolicy
from leadline.client._sync.integration import IntegrationApiClient
from leadline.client._sync.rest import Events, IntegrationClients, LeadlineClient, Milestones, Sites
from leadline.client.errors import (
    AuthenticationError,
    BadRequestError,
    GoneError,
    LeadlineError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from leadline.client.integration_errors import GraphQLError, TokenError
from leadline.client.models import (
    Account,
    CurrentPage,
    CurrentReferrer,
    CurrentVisitors,
    Deleted,
    Event,
    IntegrationClient,
    Milestone,
    Page,
    Site,
)
from leadline.client.publications import (
    Dataset,
    DatasetColumn,
    PublicationEvent,
    PublicationSignature,
    PublicationVerificationError,
    RowPage,
    SigningKey,
    VerifiedPublication,
    read_parquet_rows,
    verify_publication_data,
)

__all__ = [
    "Account",
    "AsyncEvents",
    "AsyncIntegrationApiClient",
    "AsyncIntegrationClients",
    "AsyncLeadlineClient",
    "AsyncMilestones",
    "AsyncSites",
    "AuthenticationError",
    "BadRequestError",
    "CurrentPage",
    "CurrentReferrer",
    "CurrentVisitors",
    "Dataset",
    "DatasetColumn",
    "Deleted",
    "Event",
    "Events",
    "GoneError",
    "GraphQLError",
    "IntegrationApiClient",
    "IntegrationClient",
    "IntegrationClients",
    "LeadlineClient",
    "LeadlineError",
    "Milestone",
    "Milestones",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PublicationEvent",
    "PublicationSignature",
    "PublicationVerificationError",
    "RateLimitedError",
    "RetryPolicy",
    "RowPage",
    "ServerError",
    "SigningKey",
    "Site",
    "Sites",
    "TokenError",
    "VerifiedPublication",
    "default_user_agent",
    "read_parquet_rows",
    "verify_publication_data",
]
