"""Why a report cannot be answered, in messages a user can act on (the API turns them into 400 or 503)."""

from __future__ import annotations


class QueryError(ValueError):
    """A report request that cannot be answered; the message names the parameter and the fix."""


class ReportTooLargeError(QueryError):
    """A valid request whose answer would exceed a bound: the message names the bound and how to stay under it."""


class ReportTimeoutError(RuntimeError):
    """The report ran past its time limit and the engine was interrupted; retrying later or narrower may work."""
