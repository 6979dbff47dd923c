"""The admin socket: operator commands (backup, publish, export, import) served by the running server, owner-only."""
