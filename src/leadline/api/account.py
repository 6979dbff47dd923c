"""`GET /v1/account`: the account that owns the calling key."""

from __future__ import annotations

from leadline.api.calls import ApiCall
from leadline.api.serializers import JSONObject, account_json


def get_account(call: ApiCall) -> JSONObject:
    return account_json(call.account())
