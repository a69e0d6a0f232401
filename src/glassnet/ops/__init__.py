"""The primitives: each op's forward and backward side by side, one file per family.

``elementwise.py`` (arithmetic, activations, casts), ``reduce.py`` (sum, mean, max, softmax),
``linalg.py`` (matmul, the fused ``Linear``), ``shape.py`` (reshape, index, cat, gather,
embedding), ``normalization.py`` (layer norm, group norm), ``loss.py`` (the cross-entropy family), ``conv.py`` (convolution, transposed
convolution), ``fold.py`` (unfold, fold: conv's im2col and col2im), ``pool.py`` (pooling), ``resize.py`` (padding, interpolation).  A new family
(attention, recurrence) is a new file here: subclass ``glassnet.autograd.function.Function``,
write ``forward`` and ``backward`` on NumPy arrays, and call ``YourOp.apply(...)`` from the tensor
method, ``nn.functional`` function or layer that offers it.
"""
