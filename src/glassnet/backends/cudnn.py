"""``glassnet.backends.cudnn``: not available; the flags tutorials set are accepted and unused."""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    return False
