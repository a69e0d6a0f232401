"""``glassnet.nn.utils``: torch's helpers of the same path; for now ``rnn.pad_sequence``.

>>> from glassnet.nn.utils.rnn import pad_sequence
"""
from . import rnn

__all__ = ["rnn"]
