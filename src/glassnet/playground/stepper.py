"""Step through one point: glassnet.explain records one training step on it; this turns the
recording's JSON (schema ``glassnet.explain/1``) into the page's steps.

The step is taken on a copy of the session's model and optimizer (the session is not
changed): the point alone is the mini-batch, and the loss is the session's loss plus its
regularisation penalty, exactly as a training step would compute it.

Every number on a step is a ``<span class="num">`` with ``data-path``, the JSON pointer of the
value in the recording (``layers/0/neurons/1/z``), and ``data-value``, the value itself; its
text is formatted as ``glassnet explain`` prints it.  Every number comes from that JSON,
the point's features (``layers/0/x/i``) and the activations' slopes g'(z)
(``layers/l/neurons/j/slope``) included; the few computed here from recorded ones (σ(ŷ), a
gradient's data and penalty shares, −lr·grad) say so (``data-derived``).  The loss's own lines
are in ``losses.py``; the tagging helpers in ``stepdoc.py``.
"""
from __future__ import annotations

import copy
import html

import numpy as np

import glassnet

from .losses import data_loss_lines, loss_parts, output_gradient_lines, penalty_lines
from .protocol import ProtocolError
from .stepdoc import Doc, _key, _repr, derived, fmt, paren_derived, percent, pointer  # noqa: F401 - pointer, _repr: API

FEATURE_SYMBOLS = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1x2": "x₁x₂",
                   "sin(x1)": "sin x₁", "sin(x2)": "sin x₂"}
ACT_SYMBOL = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "σ", "linear": "identity"}
SLOPE = {  # how g'(z) is written; its value is the recording's layers/l/neurons/j/slope
    "sigmoid": "a(1 − a)", "tanh": "1 − a²", "relu": "1 if z > 0, else 0", "linear": "1"}


def _edge_index(layer: dict, to: int, frm: int) -> int:
    return to * layer["in_features"] + frm


def record_step(trainer, x_row: np.ndarray, y_value: float):
    """One training step on one point, recorded; on copies, so the session stays as it was."""
    from glassnet.explain import record
    model = copy.deepcopy(trainer.model)
    params = list(model.parameters())
    optimizer = type(trainer.optimizer)(params, **{k: v for k, v in trainer.optimizer.param_groups[0].items()
                                                   if k in ("lr", "momentum", "betas", "eps", "alpha")})
    optimizer.load_state_dict(copy.deepcopy(trainer.optimizer.state_dict()))
    linears = [m for m in model if isinstance(m, glassnet.nn.Linear)]
    x = glassnet.tensor(x_row.reshape(1, -1))
    t = glassnet.tensor(np.array([[y_value]], dtype=np.float32))

    def loss_after(out, target):
        """The loss after the step: data loss and the penalty, both with the new weights."""
        data = trainer.data_loss(out, t)
        pen = trainer.penalty(linears)
        return data if pen is None else data + pen

    with record(model, optimizer, loss_fn=loss_after, names={"x": x, "t": t},
                title="One step of the playground's network") as rec:
        loss = trainer.data_loss(model(x), t)
        pen = trainer.penalty(linears)
        total = loss if pen is None else loss + pen
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    return rec


def explain_point(trainer, split: str, index: int) -> dict:
    """The ``explain`` message for point ``index`` of ``split``: the recording and the steps."""
    pts = trainer.points
    xs, ys = (pts.x_train, pts.y_train) if split == "train" else (pts.x_test, pts.y_test)
    if index >= len(ys):
        raise ProtocolError(f"there is no {split} point {index}; the {split} set has {len(ys)} points")
    feats = trainer.x_train if split == "train" else trainer.x_test
    rec = record_step(trainer, feats[index], float(ys[index]))
    try:
        doc = rec.to_dict()
    except Exception as err:  # noqa: BLE001 - report it, keep the session
        raise ProtocolError(f"glassnet.explain could not render this step: {type(err).__name__}: {err}") from None
    d = Doc(doc)
    cfg = trainer.cfg
    steps = forward_steps(d, cfg) + loss_steps(d, cfg) + backward_steps(d, cfg) + update_steps(d, cfg)
    x1, x2 = (float(v) for v in xs[index])
    point_html = (f"<b>{split} point #{index}</b>: x₁ = {html.escape(fmt(x1))}, x₂ = {html.escape(fmt(x2))}, "
                  f"target t = {d.num('effect/targets/0/0')} &middot; one step with this point as the "
                  f"mini-batch, on a copy of the network (your session is not changed). Features: "
                  + ", ".join(f"{FEATURE_SYMBOLS[f]} = {d.num(f'layers/0/x/{i}')}"
                              for i, f in enumerate(cfg.features)))
    try:
        text = rec.to_text(width=100)
    except Exception as err:  # noqa: BLE001 - the steps do not need it
        text = f"(glassnet explain could not print this step: {type(err).__name__}: {err})"
    return {"type": "explain", "point": {"split": split, "index": index, "x": [x1, x2], "html": point_html},
            "record": doc, "steps": steps, "text": text}


# -- the four phases ---------------------------------------------------------------------
def _in_symbol(cfg, layer: int, i: int) -> str:
    return FEATURE_SYMBOLS[cfg.features[i]] if layer == 0 else f"a<sub>{layer},{i + 1}</sub>"


def _in_path(layer: int, i: int) -> str:
    """The path of input i of a layer: a feature of the point, or the previous layer's a."""
    return f"layers/0/x/{i}" if layer == 0 else f"layers/{layer - 1}/neurons/{i}/a"


def _neuron_name(n_layers: int, layer: int, j: int) -> str:
    return "the output neuron" if layer == n_layers - 1 else f"neuron {j + 1} of hidden layer {layer + 1}"


def forward_steps(d: Doc, cfg) -> list:
    steps, layers = [], d.doc["layers"]
    for l, ly in enumerate(layers):
        act = ly["activation"] if l < len(layers) - 1 else None   # ŷ: the loss applies any sigmoid
        for j, _ in enumerate(ly["neurons"]):
            base = f"layers/{l}/neurons/{j}"
            terms, nums = [], []
            for i in range(ly["in_features"]):
                e = _edge_index(ly, j, i)
                terms.append(f"w<sub>{j + 1},{i + 1}</sub>·{_in_symbol(cfg, l, i)}")
                nums.append(f"{d.paren(f'layers/{l}/edges/{e}/weight')} × {d.paren(_in_path(l, i))}")
            lines = [f'<div class="eq">z = {" + ".join(terms)} + b</div>',
                     f'<div class="eq">&nbsp;&nbsp;= {" + ".join(nums)} + {d.paren(base + "/bias/value")}'
                     f" = {d.num(base + '/z')}</div>"]
            if act:
                lines.append(f'<div class="eq">a = {ACT_SYMBOL.get(act, act)}(z) = {ACT_SYMBOL.get(act, act)}'
                             f"({d.num(base + '/z')}) = {d.num(base + '/a')}</div>")
            else:
                lines.append('<div class="note">The output neuron has no activation: its z is the network\'s '
                             "output ŷ" + (" (a logit: the loss applies the sigmoid)" if cfg.problem == "classification"
                                           else "") + ".</div>")
            steps.append(_step("forward", f"Forward: {_neuron_name(len(layers), l, j)}", lines, l, j,
                               edges=[[l, j, i] for i in range(ly["in_features"])], bias=True))
    return steps


def loss_steps(d: Doc, cfg) -> list:
    parts = loss_parts(d)
    n = len(d.doc["layers"])
    lines = data_loss_lines(d, cfg, parts) + penalty_lines(d, cfg, parts)
    eff = d.doc["effect"]
    if eff.get("loss_after") is not None:
        lines.append(f'<div class="note">After this step (new weights{", new penalty" if parts["penalty"] is not None else ""}'
                     f") the same point's loss is {d.num('effect/loss_after')} "
                     f"({percent('effect/change_percent', eff.get('change_percent'))} %).</div>")
    return [_step("loss", "The loss", lines, n - 1, 0)]


def weight_name(layer: int, row: int, col: int) -> str:
    """How the page names a weight, in the step-through and in the tooltip alike."""
    return f"w<sub>{row + 1},{col + 1}</sub> ({2 * layer}.weight[{row}, {col}])"


def backward_steps(d: Doc, cfg) -> list:
    layers = d.doc["layers"]
    n = len(layers)
    parts = loss_parts(d)
    steps = [_step("backward", "Backward: the gradient arrives at the output",
                   output_gradient_lines(d, cfg, parts), n - 1, 0)]
    reg = parts["penalty"] is not None
    for l in range(n - 1, -1, -1):
        ly = layers[l]
        act = ly["activation"] if l < len(layers) - 1 else None   # ŷ: the loss applies any sigmoid
        for j, _ in enumerate(ly["neurons"]):
            base = f"layers/{l}/neurons/{j}"
            if act:                                   # through the activation first
                nxt = layers[l + 1]
                terms = " + ".join(f"{d.paren(f'layers/{l + 1}/edges/{_edge_index(nxt, k, j)}/weight')} × "
                                   f"{d.paren(f'layers/{l + 1}/neurons/{k}/grad_z')}"
                                   for k in range(nxt["out_features"]))
                steps.append(_step("backward", f"Backward: through {_neuron_name(n, l, j)}", [
                    f'<div class="eq">gradient arriving: ∂L/∂a = Σ<sub>k</sub> w<sub>k,{j + 1}</sub>·∂L/∂z<sub>k</sub>'
                    f" = {terms} = {d.num(base + '/grad_a')}</div>",
                    f'<div class="eq">local derivative: {ACT_SYMBOL[act]}′(z) = {SLOPE[act]} = '
                    f"{d.num(base + '/slope')}</div>",
                    f'<div class="eq">product: ∂L/∂z = {d.paren(base + "/grad_a")} × '
                    f"{d.paren(base + '/slope')} = {d.num(base + '/grad_z')}</div>"],
                    l, j, edges=[[l + 1, k, j] for k in range(nxt["out_features"])]))
            for i in range(ly["in_features"]):
                e = f"layers/{l}/edges/{_edge_index(ly, j, i)}"
                path = _in_path(l, i)
                w = f"w<sub>{j + 1},{i + 1}</sub>"
                lines = [f'<div class="eq">gradient arriving: ∂L/∂z = {d.num(base + "/grad_z")}</div>',
                         f'<div class="eq">local derivative: ∂z/∂{w} = '
                         f"{_in_symbol(cfg, l, i)} = {d.num(path)}</div>"]
                if reg:
                    wv, gz, xv = d.get(e + "/weight"), d.get(base + "/grad_z"), d.get(path)
                    share = cfg.reg_rate * (float(np.sign(wv)) if cfg.regularization == "l1" else wv)
                    rule = "λ·sign(w)" if cfg.regularization == "l1" else "λ·w"
                    lines.append(
                        f'<div class="eq">product plus the {cfg.regularization.upper()} penalty\'s share: ∂L/∂{w} = '
                        f"∂L/∂z·{_in_symbol(cfg, l, i)} + {rule} = {d.paren(base + '/grad_z')} × {d.paren(path)} + "
                        f"{derived(cfg.reg_rate, 'λ')} × "
                        + (f"sign({d.num(e + '/weight')})" if cfg.regularization == "l1" else d.paren(e + "/weight"))
                        + f" = {paren_derived(gz * xv, 'data share: ∂L/∂z × input')} + "
                        f"{paren_derived(share, 'penalty share')} = {d.num(e + '/grad')}</div>")
                else:
                    lines.append(f'<div class="eq">product: ∂L/∂{w} = {d.paren(base + "/grad_z")} × '
                                 f"{d.paren(path)} = {d.num(e + '/grad')}</div>")
                steps.append(_step("backward", f"Backward: weight {weight_name(l, j, i)} into {_neuron_name(n, l, j)}",
                                   lines, l, j, edges=[[l, j, i]], src=(l, i)))
            steps.append(_step("backward", f"Backward: the bias of {_neuron_name(n, l, j)}", [
                f'<div class="eq">∂L/∂b = ∂L/∂z × 1 = {d.num(base + "/bias/grad")}</div>'], l, j, bias=True))
    return steps


def update_steps(d: Doc, cfg) -> list:
    opt = d.doc["optimizer"] or {"type": "?", "hyper": {}}
    params = {p["name"]: k for k, p in enumerate(d.doc["parameters"])}
    steps = []
    layers = d.doc["layers"]
    for l, ly in enumerate(layers):
        wk, bk = params[ly["weight"]], params[ly["bias"]]
        for j, _ in enumerate(ly["neurons"]):
            rows = []
            for i in range(ly["in_features"]):
                e = f"layers/{l}/edges/{_edge_index(ly, j, i)}"
                rows.append(_update_row(d, f"w<sub>{j + 1},{i + 1}</sub>", e, "weight",
                                        f"parameters/{wk}", [j, i]))
            rows.append(_update_row(d, "b", f"layers/{l}/neurons/{j}/bias", "value", f"parameters/{bk}", [j]))
            lr = opt["hyper"].get("lr")
            rule = ("new = old − lr × grad" if opt["type"] == "SGD" and not opt["hyper"].get("momentum")
                    else f"{opt['type']}: new = old + update (update from its terms, shown per weight)")
            lines = [f'<div class="eq">{html.escape(rule)}, lr = {d.num("optimizer/hyper/lr", lr)}</div>',
                     "<table><tr><th></th><th>old</th><th>grad</th><th>update</th><th>new</th><th>terms</th></tr>"
                     + "".join(rows) + "</table>"]
            if opt["type"] == "SGD" and not opt["hyper"].get("momentum"):
                lines += rounding_notes(d, l, j, ly, lr)
            steps.append(_step("update", f"Update: the weights into {_neuron_name(len(layers), l, j)}", lines, l, j,
                               edges=[[l, j, i] for i in range(ly["in_features"])], bias=True))
    return steps


def rounding_notes(d: Doc, l: int, j: int, ly: dict, lr: float) -> list:
    """Where the recorded update (new − old, in float32) differs from −lr·grad as printed."""
    out = []
    entries = [(f"w<sub>{j + 1},{i + 1}</sub>", f"layers/{l}/edges/{_edge_index(ly, j, i)}", "weight")
               for i in range(ly["in_features"])] + [("b", f"layers/{l}/neurons/{j}/bias", "value")]
    for name, base, old_key in entries:
        grad, upd = d.get(base + "/grad"), d.get(base + "/update")
        if grad is None or upd is None:
            continue
        want = -lr * grad
        if fmt(want) != fmt(upd):
            out.append(f'<div class="note rounding">{name}: the update {d.num(base + "/update")} is not exactly '
                       f"−lr·grad = {derived(want, '−lr × grad')}: the new value is stored in float32, so "
                       f"old − lr·grad is rounded to the nearest float32 ({d.num(base + '/new')}), and "
                       f"new − old carries that rounding.</div>")
    return out


def _update_row(d: Doc, name: str, base: str, old_key: str, param: str, idx: list) -> str:
    terms = d.get(param + "/terms")
    shown = []
    for k, arr in terms.items():
        if arr is None or not isinstance(arr, list):
            continue
        shown.append(f"{html.escape(k)} = {d.num(param + '/terms/' + _key(k) + '/' + '/'.join(map(str, idx)))}")
    return (f"<tr><th>{name}</th><td>{d.num(f'{base}/{old_key}')}</td><td>{d.num(f'{base}/grad')}</td>"
            f"<td>{d.num(f'{base}/update')}</td><td>{d.num(f'{base}/new')}</td>"
            f"<td>{'; '.join(shown)}</td></tr>")


def _step(phase: str, title: str, lines: list, layer: int, j: int, edges=(), bias=False, src=None) -> dict:
    """A step; ``title`` is HTML made here; ``nodes`` use the page's columns (0 = inputs, layer l's
    neurons in column l + 1)."""
    nodes = [[layer + 1, j]]
    if src is not None:
        nodes.append([src[0], src[1]])
    return {"phase": phase, "title": title, "html": f"<h3>{title}</h3>" + "".join(lines),
            "nodes": nodes, "edges": [list(e) for e in edges], "biases": [[layer, j]] if bias else []}
