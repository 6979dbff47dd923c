"""State that a deployment's worker processes share: sessions, cache invalidation and the job lock in Redis,
and each worker's own spool directory, claimed with a file lock."""
