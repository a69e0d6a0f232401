"""Attention as functions: ``F.scaled_dot_product_attention`` and
``F.multi_head_attention_forward`` (what ``nn.MultiheadAttention``, in ``transformer.py``, calls),
with torch's arguments, defaults, shapes, masks and errors.

Both end in one node, ``ScaledDotProductAttention`` (``glassnet/ops/attention.py``): the scores,
the masking, the softmax, the dropout and the product with the values, whose backward goes
through the softmax by hand (∂S = P ⊙ (∂P − Σ P ⊙ ∂P)).  An explanation reads the attention
weights of every head from that node (``probs``, ``mask``, ``scale``).

Masks, as torch reads them:

* ``scaled_dot_product_attention(attn_mask=…)``: bool True = *takes part*; a float mask is added
  to the scores;
* ``MultiheadAttention``'s ``attn_mask`` and ``key_padding_mask``: bool True = *masked out*; a
  float mask is added.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import random as _random
from ..ops.attention import ScaledDotProductAttention
from ..ops.linalg import Linear
from ..tensors.creation import cat, zeros
from ..tensors.tensor import Tensor, _wrap

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_TORCH_DTYPE_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
                      "bool": "bool"}


def _torch_name(array) -> str:
    return _TORCH_DTYPE_NAMES.get(array.dtype.name, array.dtype.name)


def _keep_mask(shape, p: float, dtype):
    """Dropout's factor, Bernoulli(1 − p)/(1 − p), drawn from glassnet's default generator."""
    if p >= 1.0:
        return np.zeros(shape, dtype=dtype)
    keep = _random.default_generator.rng.random(shape) >= p
    return keep.astype(dtype) / dtype.type(1.0 - p)


def _attend(q: Tensor, k: Tensor, v: Tensor, bool_mask=None, float_mask=None, dropout_p: float = 0.0,
            scale=None, empty_rows: str = "zero"):
    """The primitive's call: ``bool_mask`` True = masked out (a NumPy array), ``float_mask`` a
    Tensor added to the scores.  Returns the output and the dropout factor drawn (or None)."""
    keep = None
    if dropout_p > 0.0:
        shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]) + (q.shape[-2], k.shape[-2])
        keep = _keep_mask(shape, dropout_p, q.array.dtype)
    params = {"mask": bool_mask, "scale": scale, "keep": keep, "empty_rows": empty_rows}
    if float_mask is not None:
        return ScaledDotProductAttention.apply(q, k, v, float_mask, **params), keep
    return ScaledDotProductAttention.apply(q, k, v, **params), keep


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query`` over ``key``/``value``, as one graph node.

        out = softmax(q·kᵀ·scale + mask) · v,    scale = 1/√E unless given

    Parameters
    ----------
    query : Tensor, shape (…, L, E)
    key : Tensor, shape (…, S, E)
    value : Tensor, shape (…, S, Ev)
        Batch dimensions broadcast.
    attn_mask : Tensor, optional, broadcastable to (…, L, S)
        bool: True where a query *may* attend to a key; float (the query's dtype): added to the
        scores (−∞ masks out).
    dropout_p : float, default 0.0
        Dropout on the attention weights (applied whenever > 0, as in torch: pass
        ``dropout_p if self.training else 0.0``).
    is_causal : bool, default False
        Mask out keys after each query: query i sees keys j ≤ i (torch's top-left alignment when
        L ≠ S).  Giving ``attn_mask`` too is an error, as in torch.
    scale : float, optional
    enable_gqa : bool, default False
        Grouped-query attention: query (…, Hq, L, E) over key/value with fewer heads (…, Hk, S, E),
        Hk dividing Hq; each key/value head serves Hq/Hk consecutive query heads (torch repeats
        them with ``repeat_interleave`` over dim −3, and so does glassnet: the gradient of a shared
        head is the sum over its group).

    Returns
    -------
    Tensor, shape (…, L, Ev).  A row whose keys are all masked out gives 0 (torch 2.13 on the CPU).

    Examples
    --------
    >>> q = k = v = glassnet.ones(1, 2, 3, 4)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    glassnet.Size([1, 2, 3, 4])
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got "
                           f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
                           f"instead.")
    if enable_gqa:
        key, value = _grouped_heads(query, key, value)
    qa, ka, va = query.array, key.array, value.array
    if not qa.dtype == ka.dtype == va.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_torch_name(qa)} key.dtype: {_torch_name(ka)} and value.dtype: "
                           f"{_torch_name(va)} instead.")
    if qa.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point query, key and value, "
                           f"got {query.dtype}")
    if ka.shape[-1] != qa.shape[-1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(qa.shape[:-2]))}, {qa.shape[-1]}] but got: "
                           f"[{int(np.prod(ka.shape[:-2]))}, {ka.shape[-1]}].")
    if va.shape[-2] != ka.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(va.shape[:-2]))}, {ka.shape[-2]}] but got: "
                           f"[{int(np.prod(va.shape[:-2]))}, {va.shape[-2]}].")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    L, S = qa.shape[-2], ka.shape[-2]
    bool_mask = float_mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        bool_mask = np.triu(np.ones((L, S), dtype=bool), 1)
    elif attn_mask is not None:
        ma = attn_mask.array
        if ma.dtype != np.bool_ and ma.dtype != qa.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                               f"got attn_mask.dtype: {_torch_name(ma)} and  query.dtype: {_torch_name(qa)} "
                               f"instead.")
        try:
            np.broadcast_shapes(ma.shape, qa.shape[:-2] + (L, S))
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({ma.shape[-1] if ma.shape[-2:-1] == (L,) else ma.shape[-2]}) "
                               f"must match the size of tensor b ({S if ma.shape[-2:-1] == (L,) else L}) at "
                               f"non-singleton dimension {max(ma.ndim - 1, 0) if ma.shape[-2:-1] == (L,) else max(ma.ndim - 2, 0)}") from None
        if ma.dtype == np.bool_:
            bool_mask = ~ma
        else:
            float_mask = attn_mask
    return _attend(query, key, value, bool_mask, float_mask, dropout_p, scale)[0]


def _grouped_heads(query: Tensor, key: Tensor, value: Tensor):
    """enable_gqa: key and value with their heads (dim −3) repeated to the query's head count."""
    if min(query.dim(), key.dim(), value.dim()) < 3:
        n = min(query.dim(), key.dim(), value.dim())
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got -3)"
                         f" (enable_gqa needs a heads dimension: (…, heads, L, E))")
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk or hq % hv:
        raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query "
                           f"(query has {hq}, key {hk}, value {hv})")
    return (key if hk == hq else key.repeat_interleave(hq // hk, dim=-3),
            value if hv == hq else value.repeat_interleave(hq // hv, dim=-3))


# -- multi-head attention (nn.MultiheadAttention's forward) ------------------------------------

def _canonical_mask(mask, mask_name: str, other, other_name: str, check_other: bool = True):
    """torch's ``F._canonical_mask`` check: bool or float masks only; mismatched types warn."""
    if mask is None:
        return None
    kind = mask.array.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other is not None and other.array.dtype != mask.array.dtype:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
                      f"for both instead.", stacklevel=3)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or "
                                 f"2-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but "
                                 f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or "
                                 f"1-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D "
                                     f"or 3-D but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                         f"query tensor")


def _linear(x, w, b):
    return Linear.apply(x, w) if b is None else Linear.apply(x, w, b)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch's ``F.multi_head_attention_forward``: inputs (L, N, E) or unbatched (L, E); returns
    (output, weights or None).  ``bias_k``/``bias_v`` (1, 1, E) add one key/value column after the
    projections, ``add_zero_attn`` one of zeros after that (the masks gain an unmasked column for
    each); ``static_k``/``static_v`` (N·num_heads, S, E/num_heads) replace the projected keys/values
    (head b·num_heads + h of sequence b), as in torch."""
    return _multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                                 out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                                 use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                                 static_k, static_v, average_attn_weights, is_causal, batch_first=False)


def _multi_head_attention(query, key, value, embed_dim, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                          add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
                          need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                          v_proj_weight, static_k, static_v, average_attn_weights, is_causal, batch_first):
    """Multi-head attention with the batch dimension first (``batch_first``) or second, without
    transposing the inputs: one packed projection (self-attention), the heads split by a reshape
    and a permute, one ``ScaledDotProductAttention`` node over (N, H, L, S), the heads joined and
    the output projection."""
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise AssertionError(f"bias cannot be added to static {'key' if static_k is not None else 'value'}.")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask")
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", check_other=False)
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch_first = True
    bd = 0 if batch_first else 1    # the batch dimension of the inputs
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    E, H = embed_dim, num_heads
    if query.shape[-1] != E:
        raise AssertionError(f"was expecting embedding dimension of {E}, but got {query.shape[-1]}")
    hd = E // H
    if hd * H != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {H}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    N, L, S = query.shape[bd], query.shape[1 - bd], key.shape[1 - bd]
    for name, static in (("static_k", static_k), ("static_v", static_v)):
        if static is None:
            continue
        if static.dim() != 3:
            raise IndexError(f"{name} should be 3-D (N*num_heads, S, E/num_heads) = (N*{H}, S, {hd}) but "
                             f"has shape {tuple(static.shape)}")
        if static.shape[0] != N * H:
            raise AssertionError(f"expecting {name}.size(0) of {N * H}, but got {static.shape[0]}")
        if static.shape[2] != hd:
            raise AssertionError(f"expecting {name}.size(2) of {hd}, but got {static.shape[2]}")
    q, k, v = _in_projection(query, key, value, E, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    if bias_k is not None:          # one more key and value: bias_k, bias_v (1, 1, E) for every sequence
        k = cat([k, bias_k.expand(*((N, 1, E) if bd == 0 else (1, N, E)))], 1 - bd)
        v = cat([v, bias_v.expand(*((N, 1, E) if bd == 0 else (1, N, E)))], 1 - bd)
    heads = (0, 2, 1, 3) if bd == 0 else (1, 2, 0, 3)   # (…, H, hd) in the input's order → (N, H, ·, hd)
    q = q.reshape(q.shape[0], q.shape[1], H, hd).permute(*heads)
    k = k.reshape(k.shape[0], k.shape[1], H, hd).permute(*heads)
    v = v.reshape(v.shape[0], v.shape[1], H, hd).permute(*heads)
    if static_k is not None:        # given keys/values per (sequence, head) replace the projected ones
        k = static_k.reshape(N, H, static_k.shape[1], hd)
    if static_v is not None:
        v = static_v.reshape(N, H, static_v.shape[1], hd)
    if static_k is not None or static_v is not None:
        if k.shape[2] != v.shape[2]:
            raise RuntimeError(f"multi_head_attention_forward: {k.shape[2]} keys but {v.shape[2]} values; "
                               f"static_k/static_v must have the source length of the other ({S} for key)")
        if k.shape[2] != S and attn_mask is not None:
            raise RuntimeError(f"multi_head_attention_forward: attn_mask covers the {S} keys of key but "
                               f"static_k/static_v have {k.shape[2]}; pass static keys of length {S} or no "
                               f"attn_mask")
        S = k.shape[2]
    if add_zero_attn:               # and one of zeros (per head)
        zero = zeros((N, H, 1, hd), dtype=k.dtype)
        k, v = cat([k, zero], 2), cat([v, zero], 2)
    bool_mask, float_mask = _merge_masks(attn_mask, key_padding_mask, N, H, L, S, query.array.dtype)
    extra = (bias_k is not None) + bool(add_zero_attn)   # the added keys: never masked
    if extra and bool_mask is not None:
        bool_mask = np.concatenate([bool_mask, np.zeros(bool_mask.shape[:-1] + (extra,), dtype=bool)], -1)
    if extra and float_mask is not None:
        float_mask = cat([float_mask, zeros(tuple(float_mask.shape[:-1]) + (extra,), dtype=float_mask.dtype)], -1)
    p = dropout_p if training else 0.0
    out, keep = _attend(q, k, v, bool_mask, float_mask, p, None, "nan" if need_weights else "zero")
    node = out.grad_fn
    out = out.permute(*((0, 2, 1, 3) if bd == 0 else (2, 0, 1, 3)))     # back to the input's order
    out = _linear(out.reshape(out.shape[0], out.shape[1], E), out_proj_weight, out_proj_bias)
    if not batched:
        out = out.squeeze(0)
    if not need_weights:
        return out, None
    weights = _weights(node, (q, k, v), bool_mask, float_mask, keep, average_attn_weights)
    return out, (weights if batched else weights.squeeze(0))


def _in_projection(query, key, value, E, w, b, separate, wq, wk, wv):
    """q, k, v = x·Wᵀ + b for each of query, key, value; one matrix product when all three are the
    same tensor (self-attention), two when key is value."""
    if not separate:
        if query is key and key is value:
            qkv = _linear(query, w, b)
            return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
        if key is value:
            kv = _linear(key, w[E:], None if b is None else b[E:])
            return _linear(query, w[:E], None if b is None else b[:E]), kv[..., :E], kv[..., E:]
        wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
    bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
    return tuple(_linear(x, wi, bi) for x, wi, bi in zip((query, key, value), (wq, wk, wv), bs))


def _merge_masks(attn_mask, key_padding_mask, N, H, L, S, dtype):
    """attn_mask and key_padding_mask, checked as torch checks them, as (bool True = masked out,
    NumPy, broadcastable to (N, H, L, S); None) when both are bool, else (None; a float Tensor)."""
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (L, S):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}.")
            attn_mask = attn_mask.reshape(1, 1, L, S)
        else:
            if tuple(attn_mask.shape) != (N * H, L, S):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(N * H, L, S)}.")
            attn_mask = attn_mask.reshape(N, H, L, S)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != N:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {N}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != S:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {S}, but got {key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(N, 1, 1, S)
    masks = [m for m in (attn_mask, key_padding_mask) if m is not None]
    if not masks:
        return None, None
    if all(m.array.dtype == np.bool_ for m in masks):
        out = masks[0].array
        for m in masks[1:]:
            out = out | m.array
        return out, None
    total = None
    for m in masks:
        if m.array.dtype == np.bool_:
            m = _wrap(np.where(m.array, -np.inf, 0.0).astype(dtype))
        total = m if total is None else total + m
    return None, total


def _weights(node, qkv, bool_mask, float_mask, keep, average):
    """The attention weights of each head after dropout, as torch returns them (as values: glassnet
    does not differentiate through them), averaged over the heads unless asked not to."""
    if node is None:   # no graph was built (no_grad): the same forward again, on the arrays
        node = ScaledDotProductAttention()
        node.forward(*(t.array for t in qkv), None if float_mask is None else float_mask.array,
                     mask=bool_mask, keep=keep, empty_rows="nan")
    probs = node.dropped
    return _wrap(np.ascontiguousarray(probs.mean(axis=1) if average else probs))

