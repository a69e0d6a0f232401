"""Primitive operations, each a ``Function`` with its forward and backward together."""
