"""Checks of the set-up: loss vs output activation, labels vs loss, initial loss, input scale,
class balance, and whether the data themselves are noise-limited.

Each check is ``check_x(run: Observed, th: Thresholds) -> list[Finding]``: measure, compare with
one documented threshold, and return findings carrying the number, the threshold and the fix.
"""
from __future__ import annotations

import math

import numpy as np

from .checks_sequence import token_batches
from .observed import BCE, CE, Observed, Thresholds, ce_classes, class_counts, soft_bce
from .report import Finding


def _where(call, **extra) -> dict:
    where = {"layer": call.where, "step": call.step, "line": call.line}
    where.update(extra)
    return {k: v for k, v in where.items() if v is not None}


def _first_per_site(calls):
    """The first call of each (kind, where): one finding per place, not per step."""
    seen, out = set(), []
    for c in calls:
        if (c.kind, c.where) not in seen:
            seen.add((c.kind, c.where))
            out.append(c)
    return out


def check_loss_activation(run: Observed, th: Thresholds) -> list:
    """Softmax over one unit; sigmoid/softmax before a loss that applies its own; MSE on classes."""
    out = []
    for c in _first_per_site(run.calls(("softmax", "log_softmax"), None)):
        if c.stats.get("dim_size") == 1:
            out.append(Finding(
                "loss-activation-mismatch", "error",
                f"{c.kind} over a dimension of size 1 always gives {'1' if c.kind == 'softmax' else '0'}: "
                "the output carries no information and nothing can be learned.",
                {"measured": 1, "measured_what": "size of the softmax dimension", "threshold": 2,
                 "comparison": "≥ "}, _where(c),
                "For two classes use one logit with BCEWithLogitsLoss (no softmax), or two logits "
                "with CrossEntropyLoss; check the dim= of the softmax."))
    applies_own = {"binary_cross_entropy_with_logits": ("sigmoid", "softmax"),
                   "cross_entropy": ("softmax", "sigmoid"), "nll_loss": ("softmax", "sigmoid")}
    for c in _first_per_site(run.loss_calls(None)):
        bad = applies_own.get(c.kind, ())
        if c.input_from in bad:
            wants = "log-probabilities (log_softmax)" if c.kind == "nll_loss" else "raw logits"
            out.append(Finding(
                "loss-activation-mismatch", "error",
                f"{c.type} is given the output of a {c.input_from} ({c.stats.get('input_where')}); "
                f"it expects {wants}, so the {c.input_from} is applied twice in effect and the "
                "gradients shrink.",
                {"measured": c.input_from, "measured_what": "activation feeding the loss",
                 "threshold": None}, _where(c),
                f"Remove the final {c.input_from} from the model (apply it only when predicting)"
                + (", or use log_softmax with NLLLoss." if c.kind == "nll_loss" else ".")))
        if c.kind == "mse_loss":
            t = c.stats.get("target") or {}
            counts = t.get("counts") or {}
            shape = c.stats.get("input_shape", ())
            one_column = len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)
            if t.get("integer") and 3 <= len(counts) <= 20 and one_column:
                out.append(Finding(
                    "loss-activation-mismatch", "warning",
                    f"MSELoss on targets that look like class labels ({len(counts)} whole-number "
                    "values) treats classes as numbers on a line: class 2 is 'between' 1 and 3.",
                    {"measured": len(counts), "measured_what": "distinct whole-number targets",
                     "threshold": 3, "comparison": "≥ "}, _where(c),
                    "Use one output per class with CrossEntropyLoss (targets as class indices)."))
    return out


def check_labels(run: Observed, th: Thresholds) -> list:
    """BCE targets in [0, 1] and float; CE targets in 0..C−1 and of the right shape and type."""
    out = []
    for c in _first_per_site(run.loss_calls(None)):
        t = c.stats.get("target")
        if not t:
            continue
        shape = tuple(c.stats.get("input_shape", ()))
        if c.kind in BCE:
            if not t["float"]:
                out.append(Finding(
                    "labels-vs-loss", "error",
                    f"{c.type} needs float targets; it got {t['dtype']}.",
                    {"measured": t["dtype"], "measured_what": "target dtype", "threshold": "float"},
                    _where(c), "Convert the labels: y.float() (and shape them like the output)."))
            elif t["min"] is not None and (t["min"] < 0 or t["max"] > 1):
                out.append(Finding(
                    "labels-vs-loss", "error",
                    f"{c.type} targets must lie in [0, 1]; they range over [{t['min']:g}, {t['max']:g}].",
                    {"measured": t["max"] if t["max"] > 1 else t["min"],
                     "measured_what": "target outside [0, 1]", "threshold": "[0, 1]"}, _where(c),
                    "Map the labels to 0 and 1 (e.g. y - 1 for labels 1/2), or use CrossEntropyLoss "
                    "with class indices for more than two classes."))
            elif tuple(t["shape"]) != shape:
                out.append(_shape_finding(c, t["shape"], shape))
        elif c.kind in CE:
            n = ce_classes(c)
            if t["float"] and tuple(t["shape"]) == shape:
                if t.get("one_hot"):
                    out.append(Finding(
                        "labels-vs-loss", "info",
                        f"{c.type} got one-hot float targets; torch reads them as class "
                        "probabilities, which works but costs a (N, C) tensor per batch.",
                        {"measured": "one-hot", "measured_what": "target encoding", "threshold": None},
                        _where(c), "Pass class indices instead: y.argmax(dim=1)."))
                continue
            if t["float"] and not t.get("integer"):
                continue                                     # soft labels of the wrong shape: torch says
            if len(t["shape"]) == 2 and n is not None and tuple(t["shape"]) == shape:
                out.append(Finding(
                    "labels-vs-loss", "error",
                    f"{c.type} got one-hot targets of shape {tuple(t['shape'])} as integers; it "
                    "needs class indices of shape (N,).",
                    {"measured": list(t["shape"]), "measured_what": "target shape",
                     "threshold": "(N,)"}, _where(c), "Use y.argmax(dim=1) as the target."))
            elif n is not None and t["min"] is not None and (t["min"] < 0 or t["max"] > n - 1):
                out.append(Finding(
                    "labels-vs-loss", "error",
                    f"{c.type} targets must be class indices 0..{n - 1} for {n} outputs; they range "
                    f"over {t['min']:g}..{t['max']:g}.",
                    {"measured": t["max"] if t["max"] > n - 1 else t["min"],
                     "measured_what": "target class index", "threshold": n - 1,
                     "comparison": "≤ "}, _where(c),
                    "Shift labels to start at 0 (y - y.min()), or give the last layer one output per class."))
            elif len(t["shape"]) == 2 and t["shape"][1] == 1:
                out.append(_shape_finding(c, t["shape"], shape[:1]))
        elif c.kind in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
            if tuple(t["shape"]) != shape:
                out.append(_shape_finding(c, t["shape"], shape))
    return out


def _shape_finding(c, got, wanted) -> Finding:
    return Finding(
        "labels-vs-loss", "error",
        f"{c.type}: target shape {tuple(got)} differs from output shape {tuple(wanted)}; torch "
        "broadcasts or refuses, and a broadcast loss compares every output with every target.",
        {"measured": list(got), "measured_what": "target shape", "threshold": list(wanted)},
        _where(c), "Make them match: y.view(-1, 1) for a (N, 1) output, or out.squeeze(1).")


def check_initial_loss(run: Observed, th: Thresholds) -> list:
    """At step 0 a fresh classifier should be unsure: loss ≈ ln C (Karpathy's recipe)."""
    first = [c for c in run.loss_calls() if c.step == 0 and "value" in c.stats
             and c.kind in BCE + CE and not c.stats.get("raised")]
    if not first or not run.steps:
        return []
    c = first[0]
    n = 2 if c.kind in BCE else (ce_classes(c) or 2)
    if c.kind == "nll_loss" and c.input_from != "log_softmax":
        return []
    if soft_bce(c):
        return []   # soft targets (pixel intensities of a VAE or autoencoder): no classes, no ln 2
    target = c.stats.get("target") or {}
    expected, value = math.log(n), c.stats["value"]
    out = []
    # reduction='sum' adds the per-element losses: judge the mean over the batch or the elements
    # (when the reduction is unknown, whichever of the three is nearest)
    shape = tuple(target.get("shape") or ())
    reduction = c.stats.get("reduction")
    sizes = {shape[0] if shape else 1, int(np.prod(shape)) if shape else 1}
    sizes = {1} if reduction == "mean" else sizes if reduction == "sum" else sizes | {1}
    rel = min(abs(value / k - expected) / expected for k in sizes if k > 0)
    if math.isfinite(value) and rel > th.initial_loss_rel:
        out.append(Finding(
            "initial-loss", "warning",
            f"The loss at step 0 is {value:.3g}, far from ln {n} = {expected:.3f}, what a model "
            f"that is still unsure of all {n} classes gives: the initial outputs are overconfident "
            "(large logits: unscaled inputs, large initial weights) or the loss is wired wrongly.",
            {"measured": rel, "measured_what": f"|L₀ − ln {n}| / ln {n}", "threshold": th.initial_loss_rel,
             "comparison": "≤ ", "loss_0": value}, _where(c),
            "Standardise the inputs, keep the default initialisation, and scale the last layer's "
            "weights down (e.g. ×0.1) so the first predictions are near uniform."))
    # the class prior over every measured training batch, not the first alone (an unshuffled
    # first batch of a file sorted by class says little about the data)
    seen = [x for x in run.loss_calls() if x.kind == c.kind]
    counts = class_counts(seen)
    total = sum(counts.values())
    if c.kind in BCE and total and len(counts) == 2:
        p = counts.get(1.0, 0) / total
        share = min(p, 1 - p)
        if 0 < share < th.bias_prior_share:
            prior = -(p * math.log(p) + (1 - p) * math.log(1 - p))
            steps = len({x.step for x in seen})
            out.append(Finding(
                "initial-loss", "info",
                f"Only {share:.1%} of the {total} targets of the {steps} measured training "
                f"batch{'es' if steps > 1 else ''} are in the rarer class: starting the final bias at "
                f"log(p/(1−p)) = {math.log(p / (1 - p)):.2f} makes the initial loss {prior:.3f} (the "
                f"entropy of the labels) instead of ≈ ln 2 and saves the first steps learning the prior.",
                {"measured": share, "measured_what": "rarer-class share over the measured batches",
                 "threshold": th.bias_prior_share, "comparison": "≥ "}, _where(c),
                f"nn.init.constant_(final_layer.bias, {math.log(p / (1 - p)):.3f})"))
    return out


def check_input_scale(run: Observed, th: Thresholds) -> list:
    """Features far outside unit scale (per feature RMS), or on wildly different scales
    (largest/smallest RMS; with more than 5 features, of the middle 80 % of features)."""
    for c in run.calls(("root",)):
        mean, std = c.stats.get("feature_mean"), c.stats.get("feature_std")
        if mean is None:
            continue
        rms = np.sqrt(np.asarray(mean, float) ** 2 + np.asarray(std, float) ** 2)
        worst = int(np.argmax(rms))
        live = np.sort(rms[rms > 0])
        if live.size > 5:        # many features: ignore the few sparse ones (mostly-zero pixels)
            live = live[int(0.1 * live.size):int(np.ceil(0.9 * live.size))]
        spread = float(live.max() / live.min()) if live.size else 1.0
        if rms[worst] > th.input_scale or spread > th.input_spread:
            big = rms[worst] > th.input_scale
            return [Finding(
                "unscaled-input", "warning",
                (f"Input feature {worst} has RMS {rms[worst]:.3g} (mean {mean[worst]:.3g}, std "
                 f"{std[worst]:.3g}); standardised features have 1, and large inputs make large "
                 "pre-activations, saturated units and a huge first loss.") if big else
                (f"Input features differ in scale by {spread:.3g}× (RMS {live.min():.3g} to "
                 f"{live.max():.3g}); the small ones barely move the first layer."),
                {"measured": float(rms[worst]) if big else spread,
                 "measured_what": "largest feature RMS" if big else "largest / smallest feature RMS",
                 "threshold": th.input_scale if big else th.input_spread, "comparison": "≤ ",
                 "feature_rms": [float(r) for r in rms[:16]]},
                {"layer": c.where, "step": c.step, "feature": worst, "line": c.line},
                "Standardise each feature with the training set's mean and std: "
                "x = (x - mean) / std (sklearn StandardScaler); for images divide by 255.")]
    return []


def check_label_imbalance(run: Observed, th: Thresholds) -> list:
    """Most / least frequent class over the training targets seen (not a language model's tokens:
    a vocabulary's frequencies are the data, not an imbalance to correct)."""
    if token_batches(run) or next_token_model(run):
        return []
    calls = run.loss_calls()
    counts = class_counts(calls)
    if len(counts) < 2:
        return []
    most, least = max(counts.values()), min(counts.values())
    ratio = most / least if least else math.inf
    if ratio <= th.imbalance_ratio:
        return []
    rare = min(counts, key=counts.get)
    dense = _dense_targets(calls)
    return [Finding(
        "label-imbalance", "info" if dense else "warning",
        f"Class {rare:g} is {'never seen' if not least else f'{least} of {sum(counts.values())} targets'}"
        f"; the most frequent class has {most}. " + (
            f"The targets are dense ({dense}: a label per pixel or position), where one class "
            "(background) dominating is the data's nature; it matters only when the rare class "
            "is what the model is judged on." if dense else
            f"A model can score {most / sum(counts.values()):.0%} accuracy by always predicting it."),
        {"measured": ratio, "measured_what": "most / least frequent class", "threshold":
         th.imbalance_ratio, "comparison": "≤ ", "counts": {f"{k:g}": v for k, v in counts.items()}},
        _where(calls[0]) if calls else {},
        "Weight the loss (pos_weight= for BCEWithLogitsLoss, weight= for CrossEntropyLoss), resample "
        "(WeightedRandomSampler), and judge the model by balanced accuracy or F1, not accuracy.")]


def next_token_model(run: Observed) -> bool:
    """A language model: the classes of its cross-entropy are the vocabulary its input tokens
    were looked up in (an embedding table, ``C[X]``, or a one-hot input of the same width)."""
    return any(c.stats.get("token_vocab") and c.stats["token_vocab"] == ce_classes(c)
               for c in run.loss_calls() if c.kind in CE)


def _dense_targets(calls) -> str | None:
    """The target shape of a per-pixel or per-position classification loss (cross-entropy with
    targets of ≥ 2 dims, BCE with ≥ 3), or None."""
    for c in calls:
        shape = (c.stats.get("target") or {}).get("shape", ())
        if (c.kind in CE and len(shape) >= 2) or (c.kind in BCE and len(shape) >= 3):
            return "×".join(str(n) for n in shape)
    return None


def check_noise_limited(run: Observed, th: Thresholds) -> list:
    """A k-nearest-neighbour baseline on held-out points: how much do the data allow at all?"""
    if run.data is None:
        return []
    X, labels = run.data
    X, labels = np.asarray(X, float).reshape(len(X), -1), np.asarray(labels).ravel()
    classes, counts = np.unique(labels, return_counts=True)
    if len(X) < 40 or not np.isfinite(X).all() or len(classes) < 2 or len(classes) > 50 \
            or X.shape[1] > th.knn_features or counts.min() < 2:
        return []
    spread = X.std(0)
    X = (X - X.mean(0)) / np.where(spread > 0, spread, 1.0)     # distances in standardised units
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    folds = int(min(5, counts.min()))
    k = min(th.knn_k, len(X) // 2)
    accuracy = float(cross_val_score(KNeighborsClassifier(k), X, labels,
                                     cv=StratifiedKFold(folds, shuffle=True, random_state=0)).mean())
    majority = float(counts.max() / counts.sum())
    if accuracy >= th.knn_ceiling:
        return []
    return [Finding(
        "noise-limited", "info",
        f"The data look noise-limited: a {k}-nearest-neighbour classifier gets {accuracy:.0%} of "
        f"held-out points right ({folds}-fold cross-validation over {len(X)} points; always "
        f"guessing the commonest class: {majority:.0%}). "
        "Nearby points often carry different labels, so accuracy far above that is out of reach "
        "for any model; a plateau there is the data, not a bug in the network.",
        {"measured": accuracy, "measured_what": f"{k}-NN held-out accuracy",
         "threshold": th.knn_ceiling, "comparison": "≥ ", "majority_class": majority,
         "n_points": len(X), "folds": folds}, {},
        "Judge the model against this baseline on held-out data; to do better, get cleaner data "
        "or more informative features, not a bigger network (it would memorise the noise).")]


CHECKS = [check_loss_activation, check_labels, check_initial_loss, check_input_scale,
          check_label_imbalance, check_noise_limited]
