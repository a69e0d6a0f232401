"""Checks of sequence models: recurrent state carried across steps, causal masking, language-model
targets, the RNN's time/batch axes, attention scaling, padding (the last real step, the key-padding
mask's convention) and a view that mixes the class axis into the rows.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``.  They read the calls
the observation records for recurrent modules (``input_shape``, ``batch_first``), attention
weights (softmax over a square (…, T, T) and ``nn.MultiheadAttention``'s weights:
``upper_mass``, ``peaked``; from the softmax's logits ``onehot`` and ``logit_std``), indexing at
the last time step (``last_step``), views that mix axes (``axes_mixed``), key-padding masks
(``key_padding``), the loss targets, and the kept batches (model input, target).
"""
from __future__ import annotations

import re

import numpy as np

from ..observe.records import LOSSES
from .checks_training import _ev
from .observed import Observed, Thresholds
from .report import Finding

_SECOND_BACKWARD = re.compile(r"backward through the graph a second time", re.I)


def _where(**items) -> dict:
    return {k: v for k, v in items.items() if v is not None}


def check_hidden_not_detached(run: Observed, th: Thresholds) -> list:
    """torch's "Trying to backward through the graph a second time" in a training loop: a tensor
    of the last step's graph (an RNN's hidden state) is fed into the next step undetached."""
    e = run.error
    if not e or not _SECOND_BACKWARD.search(e.get("message", "")):
        return []
    rnn = next((c for c in run.calls(("recurrent",), None)), None)
    what = f"{rnn.where} ({rnn.type})" if rnn is not None else "a recurrent model"
    return [Finding(
        "hidden-not-detached", "error",
        f"backward() at step {e.get('step')} reached the graph of an earlier step, which the "
        f"earlier backward() had already freed: the hidden state of {what} is carried from one "
        "optimizer step to the next without detach(), so each step's graph hangs on to all "
        "previous ones (truncated backpropagation through time never truncates).",
        _ev(e.get("step"), "step at which backward() reached a freed graph", None,
            exception=e["message"]),
        _where(layer=rnn.where if rnn is not None else None, line=e.get("line"), step=e.get("step")),
        "Detach the carried state once per step, before using it: hidden = hidden.detach() (for "
        "an LSTM: hidden = tuple(h.detach() for h in hidden)); retain_graph=True is not the fix "
        "(memory and time grow with every step).")]


def token_batches(run: Observed) -> list:
    """(input (B, T) ints, target reshaped to (B, T)) of kept batches of a per-position model."""
    out = []
    for b in run.batches.values():
        x, y = b.get("input"), b.get("target")
        if x is None or y is None or x.ndim != 2 or x.dtype.kind not in "iu" or x.shape[1] < 2:
            continue
        if y.dtype.kind not in "iu" or y.size != x.size:
            continue
        out.append((x, y.reshape(x.shape)))
    return out


def check_target_not_shifted(run: Observed, th: Thresholds) -> list:
    """Language-model targets equal to the inputs (not the next tokens)."""
    pairs = token_batches(run)
    if not pairs:
        return []
    equal = float(np.mean([np.mean(x == y) for x, y in pairs]))
    if equal <= th.target_equal:
        return []
    losses = run.losses()
    finite = losses[np.isfinite(losses)]
    fall = f" (the loss went from {finite[0]:.3g} to {finite[-1]:.3g})" if finite.size >= 2 else ""
    calls = run.loss_calls()
    return [Finding(
        "target-not-shifted", "error",
        f"The targets equal the model's input tokens at {equal:.0%} of the positions of "
        f"{len(pairs)} measured batches: a language model asked to output the token it was "
        f"given learns to copy it, so the loss falls towards 0 and nothing is learnt about the "
        f"next token{fall}.",
        _ev(equal, "fraction of positions where target == input", th.target_equal, "≤ ",
            batches=len(pairs)),
        _where(step=calls[0].step if calls else None, line=calls[0].line if calls else None),
        "Shift the targets by one: x = data[i:i+block_size], y = data[i+1:i+block_size+1] "
        "(or logits[:, :-1] against tokens[:, 1:]).")]


def _next_token(pairs) -> float:
    return float(np.mean([np.mean(y[:, :-1] == x[:, 1:]) for x, y in pairs])) if pairs else 0.0


def check_causal_mask(run: Observed, th: Thresholds) -> list:
    """A next-token model whose self-attention lets a position see later positions."""
    pairs = token_batches(run)
    if _next_token(pairs) <= th.target_equal:
        return []
    T = pairs[0][0].shape[1]
    leaky = [c for c in run.calls(("softmax", "attention"), True)
             if c.stats.get("square") == T and c.stats.get("upper_mass", 0.0) > th.causal_leak]
    if not leaky:
        return []
    c = max(leaky, key=lambda c: c.stats["upper_mass"])
    return [Finding(
        "causal-mask-missing", "error",
        f"The model is trained to predict the next token (targets are the inputs shifted by one), "
        f"but its attention weights ({c.where}) put {c.stats['upper_mass']:.0%} of each query's "
        "weight on later positions: position t sees the token it must predict, so the training "
        "loss is low and generation fails.",
        _ev(c.stats["upper_mass"], "mean attention weight above the diagonal", th.causal_leak,
            "≤ ", calls=len(leaky)),
        _where(layer=c.where, step=c.step, line=c.line),
        "Mask the future: wei.masked_fill(tril[:T, :T] == 0, float('-inf')) before the softmax, "
        "is_causal=True in F.scaled_dot_product_attention, or attn_mask="
        "nn.Transformer.generate_square_subsequent_mask(T) in nn.MultiheadAttention/"
        "TransformerEncoder.")]


def check_rnn_batch_first(run: Observed, th: Thresholds) -> list:
    """(batch, seq, feature) fed to an RNN built with batch_first=False, or the reverse: the
    per-sequence targets' count matches the axis the RNN reads as time."""
    for step in run.all_steps():
        targets = [c.stats.get("target", {}).get("shape") for c in step.calls
                   if c.stats.get("target") and c.grad_enabled]
        rnns = [c for c in step.calls if c.kind == "recurrent" and c.grad_enabled
                and len(c.stats.get("input_shape", ())) == 3]
        for c in rnns:
            shape, first = c.stats["input_shape"], c.stats["batch_first"]
            batch_axis, time_axis = (0, 1) if first else (1, 0)
            n_batch, n_time = shape[batch_axis], shape[time_axis]
            if n_batch == n_time:
                continue
            for t in targets:
                if t and t[0] == n_time and n_time * n_batch not in (t[0], int(np.prod(t))):
                    axes = "(batch, seq, feature)" if not first else "(seq, batch, feature)"
                    return [Finding(
                        "rnn-batch-first", "error",
                        f"{c.where} ({c.type}) was built with batch_first={first} and reads its "
                        f"input {tuple(shape)} as {'(batch, seq, feature)' if first else '(seq, batch, feature)'}: "
                        f"a batch of {n_batch} sequences of length {n_time}; but the loss has "
                        f"{t[0]} targets, one per sequence, so the input is {axes} and the "
                        "RNN runs across the examples of the batch instead of along each sequence.",
                        _ev(n_time, "number of targets (one per sequence), which the RNN reads "
                            "as the length of the time axis", n_batch, "= the batch axis: ",
                            input_shape=list(shape), batch_first=first),
                        _where(layer=c.where, step=c.step),
                        f"Build the RNN with batch_first={not first} (or permute the input: "
                        "x.transpose(0, 1)), and read the output along the same axes.")]
    return []


def check_attention_unscaled(run: Observed, th: Thresholds) -> list:
    """Self-attention softmax rows near one-hot at the first measured step: logits q·k not
    divided by √d (their spread grows as √d and the softmax saturates, passing little gradient);
    or, structurally, the scores q·kᵀ reaching the softmax with no scaling at all."""
    calls = [c for c in run.calls(("softmax",), True) if "logit_std" in c.stats]
    if not calls:
        return _unscaled_structure(run, th)
    first = min(c.step for c in calls)
    at = [c for c in calls if c.step == first]
    c = max(at, key=lambda c: (c.stats["onehot"], c.stats["logit_std"]))
    onehot = float(np.mean([a.stats["onehot"] for a in at]))
    std = float(np.mean([a.stats["logit_std"] for a in at]))
    if onehot <= th.attention_onehot and std <= th.attention_logit_std:
        return _unscaled_structure(run, th)
    by_rows = onehot > th.attention_onehot
    return [Finding(
        "attention-unscaled", "warning",
        f"At step {first}, before any learning, the attention softmax ({c.where}, {len(at)} "
        f"call{'s' if len(at) > 1 else ''}) puts more than 99% of a row's weight on one key in "
        f"{onehot:.0%} of the rows, and its logits spread with a standard deviation of {std:.2g} "
        "across the keys (scaled by 1/√d they spread ≈ 0.3–1 at initialisation): the logits q·kᵀ "
        "are not divided by √d, so their spread grows with the head size, the softmax saturates "
        "and passes almost no gradient to the queries and keys.",
        _ev(onehot if by_rows else std,
            "fraction of rows with max weight > 0.99" if by_rows else "std of the logits across keys",
            th.attention_onehot if by_rows else th.attention_logit_std, "≤ ",
            onehot=onehot, logit_std=std, calls=len(at)),
        _where(layer=c.where, step=first, line=c.line),
        "Scale the scores: wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5 (or use "
        "F.scaled_dot_product_attention, which scales by 1/√d).")]


def _unscaled_structure(run: Observed, th: Thresholds) -> list:
    """The scores q·kᵀ reach the softmax with no multiply or divide between the matmul and the
    softmax (nor on q or k right before it), or F.scaled_dot_product_attention is given a scale of
    ≥ 2/√d: at default initialisation the logits may still look tame, but their spread is √d
    times what it should be and grows as q and k do."""
    calls = [c for c in run.calls(("softmax", "attention"), True)
             if c.stats.get("scale_found") is False
             and (c.stats.get("head_size") or 0) >= th.attention_head_size]
    if not calls:
        return []
    c = calls[0]
    d = int(c.stats["head_size"])
    stds = [x.stats["logit_std"] for x in calls if "logit_std" in x.stats]
    steps = sorted({x.step for x in calls if "logit_std" in x.stats})
    spread = (f" (measured: a standard deviation across the keys of {np.mean(stds):.2g}, the mean "
              f"over {len(stds)} calls at {len(steps)} measured step{'s' if len(steps) > 1 else ''}; "
              f"without the factor every logit is √{d} ≈ {d ** 0.5:.2g} times as large)") if stds else ""
    sdpa = c.kind == "attention"
    how = (f"F.scaled_dot_product_attention is given scale={c.stats.get('scale', 'a value')} "
           if sdpa else "the scores q·kᵀ reach the softmax with no multiply or divide between the "
           "matmul and the softmax (nor on q or k) ")
    return [Finding(
        "attention-unscaled", "warning",
        f"In {c.where or 'the attention'} {how}for a head size of {d}: the factor 1/√{d} = "
        f"{d ** -0.5:.3g} is missing. The logits' spread grows as √d{spread}, and as q and k "
        "grow in training the softmax saturates towards one-hot rows that pass almost no "
        "gradient (Vaswani et al. 2017, §3.2.1).",
        _ev(1.0, "scale applied to q·kᵀ before the softmax", round(d ** -0.5, 4), "≈ ",
            head_size=d, calls=len(calls), logit_std=float(np.mean(stds)) if stds else None),
        _where(layer=c.where, step=c.step, line=c.line),
        "Scale the scores: wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5 (or use "
        "F.scaled_dot_product_attention with its default scale, which is 1/√d).")]


def _padding(x: np.ndarray, pad):
    """(fraction of rows ending in ``pad``, real lengths, share of ``pad`` inside the real parts)."""
    T = x.shape[1]
    real = x != pad
    lengths = np.where(real.any(1), T - np.argmax(real[:, ::-1], axis=1), 0)
    inside = np.arange(T)[None, :] < lengths[:, None]
    inner = float(np.sum(inside & ~real) / max(int(inside.sum()), 1))
    return float(np.mean(~real[:, -1])), lengths, inner


def _pad_candidates(run: Observed, x: np.ndarray) -> list:
    """(pad token, how it is known): the ``padding_idx`` of the embeddings the model called, then
    the token that ends most rows (a pad that fills the tails, whatever its index)."""
    out = []
    for c in run.calls(("embedding",), None):
        idx = c.stats.get("padding_idx")
        if idx is not None and all(idx != p for p, _ in out):
            out.append((int(idx), f"the padding_idx of {c.where}"))
    values, counts = np.unique(x[:, -1], return_counts=True)
    tail = int(values[np.argmax(counts)])
    if all(tail != p for p, _ in out):
        out.append((tail, "the token that fills the tails of the rows"))
    return out


def _padded(run: Observed, x: np.ndarray, th: Thresholds):
    """(pad, how known, fraction ending in it, real lengths) of a batch padded at its end."""
    T = x.shape[1]
    for pad, known in _pad_candidates(run, x):
        ended, lengths, inner = _padding(x, pad)
        if ended <= th.padded_last or inner > 0.02 or lengths.min() == lengths.max():
            continue
        tails = (T - lengths)[x[:, -1] == pad]
        if known.startswith("the token") and np.median(tails) < 2:
            continue                     # one shared last token (an end mark), not padding
        return pad, known, ended, lengths
    return None


def check_padding_last_step(run: Observed, th: Thresholds) -> list:
    """A per-sequence classifier reads its output at the last time step of padded sequences (the
    pad token from an embedding's padding_idx or from the token that fills the rows' tails)."""
    for c in run.calls(("last_step",), True):
        x = run.batches.get(c.step, {}).get("input")
        if x is None or x.ndim != 2 or x.dtype.kind not in "iu":
            continue
        B, T = x.shape
        shape, axis = c.stats["input_shape"], c.stats["axis"]
        if shape[axis] != T or shape[1 - axis] != B or B == T:
            continue
        step = next((s for s in run.all_steps() if s.index == c.step), None)
        per_sequence = step is not None and any(
            l.kind in LOSSES and l.grad_enabled and l.stats.get("target", {}).get("shape") == (B,)
            for l in step.calls)
        found = _padded(run, x, th) if per_sequence else None
        if found is None:
            continue
        pad, known, ended, lengths = found
        index = "out[:, -1]" if axis == 1 else "out[-1]"
        return [Finding(
            "padding-last-step", "error",
            f"{ended:.0%} of the {B} sequences of a batch end in padding (token {pad}, "
            f"{known}; real lengths {int(lengths.min())}–{int(lengths.max())} of {T}), but the "
            f"model reads its output at the last time step ({c.where}: {index} of a "
            f"{tuple(shape)} tensor) for one target per sequence: for every padded sequence "
            "that is the state after the padding, not after its last real token, so the "
            "classifier sees mostly pad steps.",
            _ev(ended, "fraction of sequences ending in padding", th.padded_last, "≤ ",
                pad_token=pad, pad_from=known, lengths_min=int(lengths.min()),
                lengths_max=int(lengths.max()), length=T, axis=axis),
            _where(layer=c.where, step=c.step, line=c.line),
            "Read each sequence at its last real step: out[torch.arange(B), lengths - 1] (lengths "
            "from the collate function), or pack the batch (nn.utils.rnn.pack_padded_sequence(x, "
            "lengths, batch_first=True, enforce_sorted=False)) and use the final hidden state h_n.")]
    return []


def _mask_words(c) -> tuple:
    """(what the mask is, its convention, the fix) for a key_padding call."""
    if c.stats.get("api") == "sdpa":
        where = f" in {c.where}" if c.where else ""
        if c.stats.get("bool", True):
            return (f"The boolean attn_mask given to F.scaled_dot_product_attention{where}",
                    "Its convention is True = this key takes part (the opposite of "
                    "nn.MultiheadAttention's masks)",
                    "Pass the keys that take part: attn_mask = (tokens != pad_idx)[:, None, None, :] "
                    "(True = attend); if you built mask = (tokens == pad_idx), pass ~mask.")
        return (f"The float attn_mask given to F.scaled_dot_product_attention{where}",
                "A float mask is added to the scores (-inf = ignore this key)",
                "Put -inf on the padding: attn_mask = torch.zeros(B, 1, 1, T).masked_fill("
                "(tokens == pad_idx)[:, None, None, :], float('-inf')).")
    return (f"The key_padding_mask given to {c.where or 'nn.MultiheadAttention'}",
            "PyTorch's convention is True = ignore this key (src_key_padding_mask of "
            "nn.TransformerEncoder/EncoderLayer too)",
            "Mask the padding, not the tokens: key_padding_mask = (tokens == pad_idx) "
            "(True where the key must be ignored); if you built mask = (tokens != pad_idx), pass "
            "~mask.")


def check_padding_mask_inverted(run: Observed, th: Thresholds) -> list:
    """A key-padding mask with the opposite convention: the real tokens hidden, the pads visible
    (nn.MultiheadAttention's key_padding_mask and the encoder's src_key_padding_mask: True =
    ignore; F.scaled_dot_product_attention's boolean attn_mask: True = take part)."""
    for c in run.calls(("key_padding",), None):
        x, m = run.batches.get(c.step, {}).get("input"), c.stats.get("masked")
        if x is None or m is None or x.shape != m.shape or x.dtype.kind not in "iu":
            continue
        if not m.any() or m.all():
            continue
        values, counts = np.unique(x[~m], return_counts=True)
        pad = values[np.argmax(counts)]
        kept_pad = float(counts.max() / counts.sum())          # the keys attended to are pads
        masked_pad = float(np.mean(x[m] == pad))
        if kept_pad < 0.9 or masked_pad > 0.05 or not np.any(x == pad):
            continue
        empty = int(np.sum(m.all(1)))
        what, convention, fix = _mask_words(c)
        return [Finding(
            "padding-mask-inverted", "error",
            f"{what} masks {m.mean():.0%} of the keys: the real tokens, while {kept_pad:.0%} of "
            f"the keys it leaves visible are the padding token {int(pad)}. {convention}; the "
            "mask says the opposite, so attention reads only padding"
            + (f", and {empty} sequence{'s' if empty != 1 else ''} without padding "
               f"{'have' if empty != 1 else 'has'} every key masked (NaN or zero outputs)."
               if empty else "."),
            _ev(kept_pad, "fraction of unmasked keys that are the pad token", 0.9, "< ",
                masked_fraction=float(m.mean()), pad_token=int(pad), fully_masked_rows=empty,
                api=c.stats.get("api", "mha")),
            _where(layer=c.where or None, step=c.step, line=c.line),
            fix)]
    return []


def check_view_instead_of_permute(run: Observed, th: Thresholds) -> list:
    """(batch, classes, length) flattened with view/reshape to (-1, classes) before a loss."""
    for step in run.all_steps():
        mixed = [c for c in step.calls if c.kind == "axes_mixed"]
        if not mixed:
            continue
        for loss in step.calls:
            if loss.kind not in LOSSES or loss.input_from != "axes_mixed" or not loss.grad_enabled:
                continue
            c = next((m for m in reversed(mixed) if m.where == loss.stats.get("input_where")),
                     mixed[-1])
            (a, b, n), out = c.stats["input_shape"], c.stats["output_shape"]
            return [Finding(
                "view-instead-of-permute", "error",
                f"A {(a, b, n)} tensor is reshaped with {c.type}(-1, {b}) to {out} and given to "
                f"{loss.type}: its axis 1 (size {b}, the classes or channels) is not the last one, "
                f"so each row of {b} numbers takes {b} consecutive values along the last axis "
                f"(size {n}) of one class instead of the {b} class scores of one position — the "
                "loss pairs targets with scrambled scores; shapes fit, nothing raises.",
                _ev(b, "size of the axis kept last (axis 1, not the last axis)", n, "≠ ",
                    input_shape=[a, b, n], output_shape=list(out)),
                _where(layer=c.where or None, step=c.step, line=c.line or loss.line),
                f"Move the axis first: x.permute(0, 2, 1).reshape(-1, {b}) (or x.transpose(1, 2)), "
                f"or give cross_entropy the ({a}, {b}, {n}) logits directly with ({a}, {n}) "
                "targets.")]
    return []


CHECKS = [check_hidden_not_detached, check_target_not_shifted, check_causal_mask, check_rnn_batch_first,
          check_attention_unscaled, check_padding_last_step, check_padding_mask_inverted,
          check_view_instead_of_permute]
