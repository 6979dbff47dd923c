"""Real database servers that tests start and stop themselves (registered as pytest plugins in tests/conftest.py)."""
