"""``glassnet.backends.mps``: no Apple-GPU backend (``is_available()`` and ``is_built()`` are False)."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
