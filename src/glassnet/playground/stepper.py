"""Step-through of one point (placeholder until glassnet.explain lands)."""
from .protocol import ProtocolError


def explain_point(trainer, split, index):
    raise ProtocolError("step-through needs glassnet.explain, which has not landed yet")
