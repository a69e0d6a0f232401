"""Tensors: what a learner holds and computes with.

``tensor.py``    ``Tensor`` (a NumPy array + autograd state) and its operators, ``tensor()``
``methods.py``   reductions and shape methods; ``inplace.py`` in-place writes; ``convert.py``
                 dtype/device conversions and Python conversions; ``factory.py`` ``new_zeros``, ...
``creation.py``  ``zeros``, ``arange``, ``cat``, ...; ``sampling.py`` random draws
``dtypes.py``, ``device.py``, ``printing.py`` (torch's print format), ``aliases.py`` (``axis=``
and torch's other keyword spellings), ``arguments.py`` (shapes, index keys, promotion),
``functions.py`` (``glassnet.sum(x)`` and the other method forms)
"""
from .tensor import Size, Tensor, tensor

__all__ = ["Size", "Tensor", "tensor"]
