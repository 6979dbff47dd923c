"""Scaling out: state shared by several workers through Redis, and serving with several worker processes."""
