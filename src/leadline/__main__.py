"""Allows `python -m leadline` as an alias of the `leadline` command."""

from leadline.cli import main

main()
