"""Collection: the tracking script, the collector endpoint, the ingest pipeline and the durable spool."""
