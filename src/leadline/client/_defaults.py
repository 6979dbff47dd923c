"""Defaults shared by every client: timeout and User-Agent."""

from __future__ import annotations

import httpx

import leadline

DEFAULT_TIMEOUT = 30.0


def default_user_agent() -> str:
    return f"leadline-python/{leadline.__version__} httpx/{httpx.__version__}"
