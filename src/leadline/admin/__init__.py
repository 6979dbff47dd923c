"""The admin socket: operator commands (backup) served by the running server, owner-only in the data directory."""
