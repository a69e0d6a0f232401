"""Checks of how the loop uses the model and the data: train/eval mode around the evaluation,
batch norm meeting a batch of one, batches drawn in a class-sorted order, and spatial targets
(segmentation masks) augmented with other random draws than their inputs.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``.
"""
from __future__ import annotations

import re

import numpy as np

from ..observe.records import LOSSES
from .checks_training import _ev
from .observed import Observed, Thresholds
from .report import Finding

_BATCH_OF_ONE = re.compile(r"Expected more than 1 value per channel when training", re.I)


def _where(**items) -> dict:
    return {k: v for k, v in items.items() if v is not None}


def check_eval_mode(run: Observed, th: Thresholds) -> list:
    """Dropout / batch norm still in training mode while the program evaluates under no_grad
    (modules left in train(), or F.dropout without training=self.training)."""
    calls = [c for c in run.calls(("dropout", "norm"), training=False) if c.training]
    if not calls:
        return []
    c = calls[0]
    roots = [r for s in run.all_steps() for r in s.calls if r.kind == "root" and not r.grad_enabled
             and r.step == c.step]
    functional = c.type == "dropout"                     # F.dropout, not an nn.Dropout module
    if functional:
        what = ("F.dropout is called without training=self.training; its default is True, so "
                "model.eval() does not switch it off and it zeroes random units")
    elif c.kind == "dropout":
        what = "dropout zeroes random units"
    else:
        what = "batch norm normalises with the batch's statistics and overwrites its running " \
               "averages with the evaluation data"
    counts = {}
    for call in calls:  # calls per layer, in the order the layers first ran
        counts[(call.where, call.type)] = counts.get((call.where, call.type), 0) + 1
    layers = "; ".join(f"layer {where} ({kind}) {n} times" for (where, kind), n in counts.items())
    return [Finding(
        "eval-mode", "warning",
        f"{'These layers' if len(counts) > 1 else 'This layer'} ran in training mode under no_grad: "
        f"{layers}. Here {what}, so the evaluation numbers are noisy and wrong.",
        _ev(len(calls), "evaluation calls in training mode", 0, "= ", functional=functional),
        _where(layer=c.where, step=c.step, line=roots[0].line if roots else None),
        "Pass training=self.training to F.dropout (or use an nn.Dropout module)." if functional else
        "Call model.eval() before evaluating and model.train() before training again.")]


def check_train_in_eval_mode(run: Observed, th: Thresholds) -> list:
    """Training steps whose dropout / batch-norm modules run in eval mode after having run in
    training mode: an evaluation's model.eval() that no model.train() undid."""
    trained, flipped = set(), []
    for step in run.steps:
        if not step.losses:
            continue
        calls = [c for c in step.calls if c.kind in ("dropout", "norm") and c.grad_enabled
                 and c.training is not None and c.type != "dropout"]
        on = {c.where for c in calls if c.training}
        off = [c for c in calls if not c.training and c.where not in on and c.where in trained]
        if off:
            flipped.append((step, off[0]))
        trained |= on
    if len(flipped) < 2:
        return []
    step, c = flipped[0]
    return [Finding(
        "train-in-eval-mode", "warning",
        f"From step {step.index} on, {c.where} ({c.type}) runs in eval mode during training "
        f"({len(flipped)} measured training steps), after running in training mode before: an "
        "evaluation called model.eval() and nothing called model.train() again, so "
        + ("dropout is off" if c.kind == "dropout" else "batch norm uses frozen running statistics")
        + " while the model trains.",
        _ev(len(flipped), "measured training steps with layers in eval mode", 1, "≤ "),
        _where(layer=c.where, step=step.index),
        "Call model.train() at the start of every training epoch (after each evaluation).")]


def check_batchnorm_batch_of_one(run: Observed, th: Thresholds) -> list:
    """Batch norm in training mode given a batch of one example: torch raises mid-epoch."""
    e = run.error
    if not e or not _BATCH_OF_ONE.search(e.get("message", "")):
        return []
    return [Finding(
        "batchnorm-batch-of-one", "error",
        f"Batch norm in training mode was given a batch of one example at step {e.get('step')} "
        "and raised: a variance over one value per channel is undefined. The usual cause is the "
        "last batch of an epoch (len(dataset) % batch_size == 1).",
        _ev(1, "examples in the batch", 2, "≥ ", exception=e["message"]),
        _where(line=e.get("line"), step=e.get("step")),
        "Pass drop_last=True to the training DataLoader (or pick a batch size that does not "
        "leave one example); evaluate in model.eval(), where batches of one are fine.")]


def check_unshuffled(run: Observed, th: Thresholds) -> list:
    """Training batches that hold a single class while the data have several: sorted, unshuffled."""
    single, counted, classes, per_step = [], 0, set(), {}
    for c in run.loss_calls():
        counts = (c.stats.get("target") or {}).get("counts")
        if c.kind not in ("cross_entropy", "nll_loss", "binary_cross_entropy",
                          "binary_cross_entropy_with_logits") or not counts:
            continue
        if sum(counts.values()) < th.unshuffled_batch:
            continue
        counted += 1
        classes |= set(counts)
        per_step.setdefault(c.step, []).append(frozenset(counts))
        if len(counts) == 1:
            single.append(c)
    several = [sets for sets in per_step.values() if len(sets) > 1]
    if several and sum(len(set(sets)) > 1 for sets in several) > len(several) / 2:
        return []   # most steps' losses take different labels: made by the program (a GAN's real
        #             and fake labels, a contrastive pair), not read from class-sorted data (where
        #             only the steps at a class boundary of accumulated micro-batches differ)
    if counted < 5 or len(classes) < 2 or len(single) / counted <= th.unshuffled_fraction:
        return []
    return [Finding(
        "unshuffled-data", "warning",
        f"{len(single)} of {counted} measured training batches hold a single class, while the "
        f"targets have {len(classes)}: the data are drawn in a class-sorted order, so each "
        "stretch of steps pulls the model toward one class and the loss swings instead of falling.",
        _ev(len(single) / counted, "fraction of single-class batches", th.unshuffled_fraction, "≤ "),
        _where(step=single[0].step, line=single[0].line),
        "Shuffle the training data: DataLoader(..., shuffle=True), or a random permutation "
        "of the indices each epoch.")]


#: The flips and rotations of an (N, H, W) array, besides the identity (rotations and transposes
#: only for square images).
_MOVES = {"horizontal flip": lambda a: a[:, :, ::-1], "vertical flip": lambda a: a[:, ::-1, :],
          "rotation by 180°": lambda a: a[:, ::-1, ::-1]}
_SQUARE_MOVES = {"rotation by 90°": lambda a: np.rot90(a, 1, (1, 2)),
                 "rotation by 270°": lambda a: np.rot90(a, 3, (1, 2)),
                 "transpose": lambda a: a.transpose(0, 2, 1),
                 "anti-transpose": lambda a: a[:, ::-1, ::-1].transpose(0, 2, 1)}
_AUGMENT_PIXELS = 2_000_000            # at most this many pixels per kept batch are compared


def _plane(a: np.ndarray, n: int, hw: tuple):
    """An (n, H, W) float view of a batch's input or dense target, or None."""
    if a.shape[0] != n or a.shape[-2:] != hw or a.ndim not in (3, 4):
        return None
    a = a.astype(np.float64)
    return a.mean(1) if a.ndim == 4 else a


def _otsu(values: np.ndarray, bins: int = 64) -> float:
    """The threshold that best splits ``values`` into two groups (Otsu 1979: largest
    between-class variance of a histogram)."""
    counts, edges = np.histogram(values, bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)[:-1]
    w1 = counts.sum() - w0
    s0 = np.cumsum(counts * centres)[:-1]
    m0 = s0 / np.maximum(w0, 1)
    m1 = (np.sum(counts * centres) - s0) / np.maximum(w1, 1)
    return float(edges[1:-1][np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def _binary(a: np.ndarray, integer: bool) -> np.ndarray:
    """Per-sample foreground: integer targets: not the sample's most frequent value (background);
    otherwise above the sample's Otsu threshold."""
    if integer:
        flat = a.reshape(len(a), -1)
        mode = np.array([np.bincount(r - r.min()).argmax() + r.min() for r in flat.astype(np.int64)])
        return a != mode[:, None, None]
    cut = np.array([_otsu(r) if r.max() > r.min() else r.max() for r in a.reshape(len(a), -1)])
    return a > cut[:, None, None]


def _correlation(f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-sample Pearson correlation of two (n, H, W) arrays."""
    f = f.reshape(len(f), -1) - f.reshape(len(f), -1).mean(1, keepdims=True)
    t = t.reshape(len(t), -1) - t.reshape(len(t), -1).mean(1, keepdims=True)
    return (f * t).sum(1) / np.sqrt((f * f).sum(1) * (t * t).sum(1))


def augmentation_agreement(run: Observed) -> list:
    """(step, |corr| of the input's foreground with its target, best |corr| with a moved target,
    that move's name) per measured sample of the kept dense-prediction batches."""
    out = []
    for step, b in sorted(run.batches.items()):
        x, y = b.get("input"), b.get("target")
        if x is None or y is None or x.ndim not in (3, 4) or x.dtype.kind != "f":
            continue
        hw = x.shape[-2:]
        if min(hw) < 8 or y.ndim not in (3, 4) or y.dtype.kind not in "iubf":
            continue
        n = min(len(x), max(1, _AUGMENT_PIXELS // (hw[0] * hw[1])))
        image, target = _plane(x[:n], n, hw), _plane(y[:n], n, hw)
        if image is None or target is None:
            continue
        fg = _binary(image, False).astype(np.float64)
        mask = _binary(target if y.dtype.kind == "f" else y[:n].reshape(target.shape),
                       y.dtype.kind != "f").astype(np.float64)
        share = mask.reshape(n, -1).mean(1)
        keep = (share > 0.02) & (share < 0.98) & (fg.reshape(n, -1).std(1) > 0)
        if not keep.any():
            continue
        fg, mask = fg[keep], mask[keep]
        same = np.abs(_correlation(fg, mask))
        moves = dict(_MOVES, **(_SQUARE_MOVES if hw[0] == hw[1] else {}))
        moved = np.stack([np.abs(_correlation(fg, np.ascontiguousarray(m(mask))))
                          for m in moves.values()])
        best = moved.argmax(0)
        names = list(moves)
        out += [(step, float(s), float(moved[k, i]), names[k])
                for i, (s, k) in enumerate(zip(same, best))]
    return out


def check_augmentation_target_mismatch(run: Observed, th: Thresholds) -> list:
    """Dense targets (masks) that agree with their inputs only after a flip or rotation, in part
    of the samples: a random spatial augmentation drawn separately for the input and the target."""
    samples = augmentation_agreement(run)
    if len(samples) < 16:
        return []
    moved = [s for s in samples if s[2] > th.augment_match and s[2] - s[1] > th.augment_margin]
    fraction = len(moved) / len(samples)
    if fraction <= th.augment_fraction:
        return []
    kinds = sorted({s[3] for s in moved}, key=lambda k: -sum(m[3] == k for m in moved))
    aligned = [s[1] for s in samples if s not in moved and s[1] > th.augment_match]
    step = moved[0][0]
    loss = next((c for c in run.loss_calls() if c.step == step and c.kind in LOSSES), None)
    return [Finding(
        "augmentation-target-mismatch", "error",
        f"In {len(moved)} of {len(samples)} measured training samples ({fraction:.0%}) the target "
        f"mask lines up with its input image only after a {', '.join(kinds[:3])} of the mask "
        f"(correlation with the input's foreground {np.median([s[2] for s in moved]):.2f} moved, "
        f"{np.median([s[1] for s in moved]):.2f} as given), while "
        + (f"{len(aligned)} samples line up as given ({np.median(aligned):.2f})" if aligned else
           "no sample lines up as given")
        + ": the random flips or rotations are drawn separately for the image and for its mask, "
        "so those samples teach the network to paint the mask where the object is not.",
        _ev(fraction, "fraction of samples whose target matches the input better after a flip "
            "or rotation", th.augment_fraction, "≤ ", samples=len(samples),
            moved_correlation=float(np.median([s[2] for s in moved])),
            given_correlation=float(np.median([s[1] for s in moved])),
            aligned_correlation=float(np.median(aligned)) if aligned else None, moves=kinds),
        _where(step=step, line=loss.line if loss is not None else None),
        "Draw the random transform once per sample and apply it to the image and its target: "
        "if torch.rand(1) < 0.5: image, mask = image.flip(-1), mask.flip(-1) (or "
        "torchvision.transforms.v2 called on (image, tv_tensors.Mask(mask)) together, or "
        "albumentations' transform(image=..., mask=...)); boxes need the same transform too.")]


CHECKS = [check_eval_mode, check_train_in_eval_mode, check_batchnorm_batch_of_one, check_unshuffled,
          check_augmentation_target_mismatch]
