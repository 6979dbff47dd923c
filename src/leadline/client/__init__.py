"""Leadline's Python SDK for its REST API v1: sync and async clients with typed results, errors and retries."""

from leadline.client._async import AsyncEvents, AsyncLeadlineClient, AsyncMilestones, AsyncSites
from leadline.client._defaults import default_user_agent
from leadline.client._retry import RetryPolicy
from leadline.client._sync import Events, LeadlineClient, Milestones, Sites
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
from leadline.client.models import (
    Account,
    CurrentPage,
    CurrentReferrer,
    CurrentVisitors,
    Deleted,
    Event,
    Milestone,
    Page,
    Site,
)

__all__ = [
    "Account",
    "AsyncEvents",
    "AsyncLeadlineClient",
    "AsyncMilestones",
    "AsyncSites",
    "AuthenticationError",
    "BadRequestError",
    "CurrentPage",
    "CurrentReferrer",
    "CurrentVisitors",
    "Deleted",
    "Event",
    "Events",
    "GoneError",
    "LeadlineClient",
    "LeadlineError",
    "Milestone",
    "Milestones",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "Site",
    "Sites",
    "default_user_agent",
]
