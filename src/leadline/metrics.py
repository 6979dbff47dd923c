"""Prometheus metrics of the deployment; no label ever holds personal data."""
