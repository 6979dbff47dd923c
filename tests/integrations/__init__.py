"""Tests of the Integration API: OAuth2 tokens, batched GraphQL, the seed's client code and the CLI."""
