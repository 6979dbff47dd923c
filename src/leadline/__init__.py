"""Leadline: self-hosted, cookie-free web analytics that speaks the Fathom Analytics API."""

__version__ = "0.1.0"
