"""``glassnet.backends.cudnn``: not available; the flags tutorials set are accepted and unused."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    return False
