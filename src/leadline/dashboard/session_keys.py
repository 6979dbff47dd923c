"""The key that signs the dashboard's cookies, derived from the deployment's secret key.

The secret is the one that also seals secrets at rest (`store.secret_key`: `secret_key`, else
`secret_key_file`, else a random `secret.key` made owner-only in the data directory), so an operator keeps
and backs up one secret; sign-ins survive restarts, and every worker of one deployment signs alike. The
cookie key is an HMAC of that secret under its own label, so the secret itself never signs a cookie.
"""

from __future__ import annotations

import hashlib
import hmac

from leadline.config import Settings
from leadline.store.secret_key import load_secret_key

_PURPOSE = b"leadline dashboard cookies v1"


def signing_key(settings: Settings) -> bytes:
    return hmac.new(load_secret_key(settings), _PURPOSE, hashlib.sha256).digest()
