"""REST API v1: Fathom-compatible routes, key authentication and scopes, pagination, errors, rate limits."""
