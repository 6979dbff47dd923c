"""Storage: the metadata store (accounts, keys, sites, events, milestones) and the event store (hits)."""
