"""The Integration API: OAuth2 client-credentials tokens and batched GraphQL over an account's datasets."""
