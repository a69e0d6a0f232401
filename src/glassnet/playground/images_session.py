"""The Images page's session: the 2-D page's session (thread, pacing, frames, health, links,
export) around an :class:`~.images.ImagesTrainer`.

Server -> page messages
    ``hello``   {session, limits, defaults, options}
    ``state``   {rev, config, layers, test{pixels, labels}, drawings, n_train, history, playing, ack}
    frame       binary (``images.py``): the current digit, its probabilities and saliency, every
                conv layer's kernels and feature maps; test accuracy, confusion, misclassified
    ``health``  {diverged, warnings}: dead or saturated channels (explain's conv summary), a
                stalled loss, a divergence (the first layer that produced inf/NaN)
    ``explain`` one output value stepped through (``imagestep.py``)
    ``export``  {filename, safetensors (base64), code_filename, code}
"""
from __future__ import annotations

import copy

import numpy as np

import glassnet

from . import export as X
from . import health as H
from . import links as K
from .images import ImagesTrainer
from .images_protocol import (ACTIVATIONS, KERNELS, POOLINGS, AddDrawingMsg, DrawMsg, ExplainValueMsg, ImagesConfig,
                              ImagesLimits, ImagesSetMsg, SelectMsg, read_link_field)
from .protocol import OPTIMIZERS
from .session import Session

SAMPLE = 200              # training digits the warnings look at
SATURATION = 0.01         # the slope below which a tanh/sigmoid output counts as saturated
SATURATED_SHARE = 0.9     # a channel is saturated when this share of its outputs is


def hello(session) -> dict:
    return {"type": "hello", "session": session.id, "page": "images", "limits": ImagesLimits.as_dict(),
            "defaults": ImagesConfig().model_dump(),
            "options": {"activations": list(ACTIVATIONS), "poolings": list(POOLINGS), "kernels": list(KERNELS),
                        "optimizers": list(OPTIMIZERS)}}


def image_warnings(trainer) -> list:
    """Dead ReLU channels and saturated channels, from ``glassnet.explain``'s conv summary of a
    recording on a sample of training digits (a copy of the model), and a stalled loss."""
    from glassnet.explain import record
    out = []
    n = min(SAMPLE, len(trainer.y_train))
    model = copy.deepcopy(trainer.model)
    try:
        with record(model, None) as rec:
            trainer.criterion(model(glassnet.tensor(trainer.x_train[:n])),
                              glassnet.tensor(trainer.y_train[:n])).backward()
        layers = rec.conv_summary()
    except Exception:  # noqa: BLE001 - a warning must never break training
        layers = []
    for l, ly in enumerate(layers):
        where = f"conv layer {l + 1}"
        dead = [c["channel"] + 1 for c in ly["channels"] if c["dead"]]
        if dead:
            out.append({"kind": "dead_relu", "where": where, "units": dead, "message": (
                f"Dead ReLU channel{'s' if len(dead) > 1 else ''} in {where}: channel"
                f"{'s' if len(dead) > 1 else ''} {', '.join(map(str, dead))} output 0 at every position of all "
                f"{n} training digits looked at, so no gradient reaches their kernels.")})
        if ly["activation"] in ("tanh", "sigmoid"):
            op = next(o for o in rec.forward_ops if o.op.lower() == ly["activation"]
                      and o.inputs[0].kind == "op" and rec.ops[o.inputs[0].key].module == ly["name"])
            a = np.asarray(op.output, dtype=np.float64)
            slope = a * (1 - a) if ly["activation"] == "sigmoid" else 1 - a * a
            share = (slope < SATURATION).mean(axis=(0, 2, 3))
            units = [int(c) + 1 for c in np.flatnonzero(share >= SATURATED_SHARE)]
            if units:
                out.append({"kind": "saturated", "where": where, "units": units, "message": (
                    f"Saturated channels in {where}: {', '.join(map(str, units))} sit on the flat part of "
                    f"{ly['activation']} (slope < {SATURATION}) for at least {SATURATED_SHARE:.0%} of their "
                    f"outputs, so gradients through them vanish.")})
    stalled = H.stalled_loss(trainer.history)
    if stalled:
        out.append(stalled)
    return out


class ImagesSession(Session):
    """A tab of the Images page."""

    crowd_interval = 0.25      # frames in a crowd: at least 4/s each (the goal is 2)

    def make_trainer(self):
        return ImagesTrainer()

    def warnings_now(self) -> list:
        return image_warnings(self.trainer)

    def apply_link_fields(self, fields: dict) -> list:
        return K.apply_fields(self.trainer, fields, read=read_link_field, config=ImagesConfig)

    def apply_page_message(self, msg) -> bool:
        t = self.trainer
        if isinstance(msg, ImagesSetMsg):
            t.apply(msg.config)
            self._publish_state()
        elif isinstance(msg, DrawMsg):
            t.draw(msg.pixels)
        elif isinstance(msg, AddDrawingMsg):
            k = t.add_drawing(msg.pixels, msg.label)
            self._publish_state()
            self.send({"type": "notice", "message": f"added your drawing of a {msg.label} to the training set "
                       f"(drawing {k + 1}; {len(t.y_train)} training digits)"})
        elif isinstance(msg, SelectMsg):
            t.select(msg.split, msg.index)
        elif isinstance(msg, ExplainValueMsg):
            from .imagestep import explain_value
            self.send(explain_value(t, msg.layer, msg.channel, msg.y, msg.x, msg.weight))
            return False
        return True

    def _export(self) -> dict:
        t = self.trainer
        name = "glassnet-playground-digits-cnn.safetensors"
        return X.export_message(t.model, name, "load_playground_cnn.py", X.cnn_torch_code(t.cfg, name))
