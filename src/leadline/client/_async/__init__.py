# Source of the generated sync twin in _sync/: edit here, then run scripts/unasync_client.py.
"""The clients of the REST API v1 and of the Integration API; `leadline.client` publishes them."""
