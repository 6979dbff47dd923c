"""GraphQL over an integration client's subscribed datasets (`POST /api/integrations`), and its access checks."""

from leadline.integrations.graphql.access import authenticate, not_visible, visible_publication
from leadline.integrations.graphql.endpoint import graphql_endpoint

__all__ = ["authenticate", "graphql_endpoint", "not_visible", "visible_publication"]
