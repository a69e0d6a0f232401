"""Rules read from an autograd graph, one implementation for both engines: each walks the graph
through a small adapter that names a node's op in a shared vocabulary, so torch's autograd
nodes (``grad_fn.next_functions``) and glassnet's (``grad_fn.inputs``, tensors) answer alike.

* ``score_scaling``: attention logits about to enter a softmax — do they lead back, through
  masking and shape ops only, to a q·kᵀ matmul with no multiply or divide on the way (nor on q
  or k right before it)?  (``attention-unscaled``, structural);
* ``token_vocabulary``: a loss's logits computed from token ids looked up in a table
  (an embedding, ``C[X]``) or a one-hot matrix multiplied into a learned weight: the
  vocabulary's size (``label-imbalance`` is skipped for a next-token model);
* ``sdpa_scale_stats``: an explicit scale given to scaled-dot-product attention, judged against
  1/√d.

The shared vocabulary (``Graph.op``): ``pass`` (a mask, a shape op, adding a constant: the
scores' scale unchanged), ``index`` (an index: passes scores, and reads a lookup table),
``scale`` (a multiply or divide), ``matmul`` (a matrix product), ``linear`` (a product with a
bias, ``addmm`` / glassnet's fused ``Linear``), ``embedding``, ``leaf`` (a tensor that learns)
and anything else (None).  Adapters take no engine import: they read class names and fields.
"""
from __future__ import annotations

import numpy as np

__all__ = ["TorchGraph", "GlassnetGraph", "score_scaling", "token_vocabulary", "sdpa_scale_stats"]

_PASS = ("pass", "index")


class TorchGraph:
    """torch's autograd nodes: ``type(node).__name__`` and ``next_functions``; a leaf is an
    ``AccumulateGrad`` node whose ``variable`` is the parameter."""

    OPS = {**dict.fromkeys(
        ("MaskedFillBackward0", "MaskedFillBackward1", "ViewBackward0", "UnsafeViewBackward0",
         "ReshapeAliasBackward0", "CloneBackward0", "ExpandBackward0", "AddBackward0",
         "SubBackward0", "SliceBackward0", "SelectBackward0", "ToCopyBackward0", "WhereBackward0",
         "PermuteBackward0", "TransposeBackward0", "TBackward0", "SqueezeBackward0",
         "SqueezeBackward1", "UnsqueezeBackward0", "ContiguousBackward0"), "pass"),
        "IndexBackward0": "index", "EmbeddingBackward0": "embedding",
        **dict.fromkeys(("MulBackward0", "MulBackward1", "DivBackward0", "DivBackward1"), "scale"),
        "BmmBackward0": "matmul", "MmBackward0": "matmul", "AddmmBackward0": "linear",
        "AccumulateGrad": "leaf"}

    @staticmethod
    def root(tensor):
        return getattr(tensor, "grad_fn", None)

    def op(self, node):
        return self.OPS.get(type(node).__name__)

    @staticmethod
    def inputs(node) -> list:
        """The node's differentiable inputs (constants have no node)."""
        return [n for n, _ in node.next_functions if n is not None]

    @staticmethod
    def leaf_shape(node):
        v = getattr(node, "variable", None)
        return tuple(v.shape) if v is not None else None

    @staticmethod
    def left(node, values: bool = False):
        """A product's left operand (its shape, or with ``values`` a NumPy copy), or None."""
        x = getattr(node, "_saved_mat1" if type(node).__name__ == "AddmmBackward0" else "_saved_self",
                    None)
        if x is None or not hasattr(x, "shape"):
            return None
        if not values:
            return tuple(x.shape)
        return x.detach().float().cpu().numpy() if x.is_floating_point() else None


class GlassnetGraph:
    """glassnet's graph: a tensor's ``grad_fn`` is its op (``ops/``), whose ``inputs`` are
    tensors; a leaf that learns is the tensor itself (``requires_grad``, no ``grad_fn``)."""

    OPS = {**dict.fromkeys(("Reshape", "Permute", "Expand", "Contiguous", "Where", "Add", "Sub",
                            "Cast"), "pass"),
           "Index": "index", "Embedding": "embedding", "Mul": "scale", "Div": "scale",
           "MatMul": "matmul", "Linear": "linear"}

    @staticmethod
    def root(tensor):
        return getattr(tensor, "grad_fn", None)

    def op(self, node):
        if hasattr(node, "array"):                      # a tensor: a leaf
            return "leaf"
        return self.OPS.get(type(node).__name__)

    @staticmethod
    def inputs(node) -> list:
        if hasattr(node, "array"):
            return []
        out = []
        for t in getattr(node, "inputs", None) or ():
            if t.grad_fn is not None:
                out.append(t.grad_fn)
            elif t.requires_grad:
                out.append(t)
        return out

    @staticmethod
    def leaf_shape(node):
        return tuple(np.shape(node.array)) if hasattr(node, "array") else None

    @staticmethod
    def left(node, values: bool = False):
        inputs = getattr(node, "inputs", None)
        if not inputs:
            return None
        a = np.asarray(inputs[0].array)
        if not values:
            return a.shape
        return a if a.dtype.kind == "f" else None


def _follow(graph, node, depth: int):
    """From ``node``, through the pass-through ops with a single differentiable input, the first
    node that is no such op (or None past ``depth`` or at a fork)."""
    for _ in range(depth):
        if node is None or graph.op(node) not in _PASS:
            return node
        nxt = graph.inputs(node)
        if len(nxt) != 1:
            return None                     # two differentiable inputs (a learned bias): unknown
        node = nxt[0]
    return None


def score_scaling(graph, x):
    """Attention logits ``x`` about to enter a softmax: ``(head size, scaled)`` when its graph
    leads back, through masking and shape ops only, to the q·kᵀ matmul (``scaled``: a multiply
    or divide sits between them, or on q or k right before the matmul); None when the path is
    anything else (a learned bias added, ``baddbmm``, no graph)."""
    node = _follow(graph, graph.root(x), 16)
    if node is None:
        return None
    op = graph.op(node)
    if op == "scale":
        return None, True
    if op != "matmul":
        return None
    shape = graph.left(node)
    if shape is None or len(shape) < 2:
        return None
    inputs = graph.inputs(node)
    if len(inputs) != 2:                    # q or k without a gradient: not learned attention
        return None
    scaled = any(graph.op(_follow(graph, n, 8)) == "scale" for n in inputs)
    return int(shape[-1]), scaled


def _one_hot_block(x, width: int) -> bool:
    """Some ``width`` consecutive columns of ``x`` (its first 64 rows) hold a one-hot code: only 0
    and 1 there, one 1 per row (the letter of PyTorch's char-RNN tutorial, concatenated with a
    category and the hidden state before ``i2h``)."""
    x = np.asarray(x[:64], dtype=float)
    if x.ndim != 2 or not 2 < width < x.shape[1]:
        return False
    binary = np.concatenate([[0], np.cumsum(((x == 0) | (x == 1)).all(0))])
    sums = np.concatenate([np.zeros((len(x), 1)), np.cumsum(x, axis=1)], axis=1)
    return any(binary[a + width] - binary[a] == width and bool((sums[:, a + width] - sums[:, a] == 1).all())
               for a in range(x.shape[1] - width + 1))


def token_vocabulary(graph, logits, limit: int = 3000, classes: int | None = None):
    """The size of the token vocabulary ``logits`` (a loss's input) were computed from, or None:
    the graph, walked back, meets a lookup table read by token ids (an embedding, or ``C[X]``, a
    learned 2-D leaf indexed: its rows) or a one-hot matrix multiplied into a learned weight
    (d2l's ``F.one_hot(X, V).float() @ W_xh``: its width); with ``classes`` (the loss's number
    of classes), also a one-hot block of that width among the matrix's columns."""
    root = graph.root(logits)
    seen, stack = set(), [root] if root is not None else []
    while stack and len(seen) < limit:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        op = graph.op(node)
        nxt = graph.inputs(node)
        if op in ("embedding", "index"):
            tables = [s for s in (graph.leaf_shape(n) for n in nxt if graph.op(n) == "leaf")
                      if s is not None and len(s) == 2]
            if tables:
                return int(tables[0][0])
        elif op in ("matmul", "linear"):
            shape = graph.left(node)
            if shape is not None and len(shape) == 2 and shape[1] > 2 and shape[0]:
                x = graph.left(node, values=True)
                if x is not None and bool(((x == 0) | (x == 1)).all()) and bool((x.sum(1) == 1).all()):
                    return int(shape[1])
                if x is not None and classes and _one_hot_block(x, int(classes)):
                    return int(classes)
        stack.extend(nxt)
    return None


def sdpa_scale_stats(scale, head_size: int, stats: dict) -> None:
    """An explicit ``scale`` given to scaled-dot-product attention for queries of ``head_size``:
    ``scale_found`` is False when it is ≥ 2/√d (the 1/√d factor missing, e.g. ``scale=1.0``)."""
    if scale is None or head_size <= 1:
        return
    stats["head_size"] = int(head_size)
    stats["scale_found"] = float(scale) * head_size ** 0.5 < 2
    stats["scale"] = float(scale)
