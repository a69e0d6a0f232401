"""Checks of sequence models: recurrent state carried across steps, causal masking, language-model
targets and the RNN's time/batch axes.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``.  They read the calls
the observation records for recurrent modules (``input_shape``, ``batch_first``), attention
weights (softmax over a square (…, T, T) and ``nn.MultiheadAttention``'s weights:
``upper_mass``, ``peaked``), the loss targets, and the kept batches (model input, target).
"""
from __future__ import annotations

import re

import numpy as np

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
                        _ev(n_time, "length of the axis read as time (= number of targets)",
                            n_batch, "≠ ", input_shape=list(shape), batch_first=first),
                        _where(layer=c.where, step=c.step),
                        f"Build the RNN with batch_first={not first} (or permute the input: "
                        "x.transpose(0, 1)), and read the output along the same axes.")]
    return []


CHECKS = [check_hidden_not_detached, check_target_not_shifted, check_causal_mask, check_rnn_batch_first]
