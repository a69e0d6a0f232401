"""Export a session's model: its weights as safetensors and the PyTorch code that loads them."""
from __future__ import annotations

import os
import tempfile

from .points import FEATURE_CODE

TORCH_ACTIVATIONS = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()",
                     "linear": "nn.Identity()"}


def safetensors_bytes(state_dict) -> bytes:
    """The state dict in the safetensors format, written by ``glassnet.save``."""
    import glassnet
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    try:
        glassnet.save(state_dict, path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def torch_code(cfg, sizes, filename: str) -> str:
    """A standalone PyTorch script that rebuilds the network and loads ``filename``."""
    layers = []
    for i in range(len(sizes) - 1):
        line = f"    nn.Linear({sizes[i]}, {sizes[i + 1]}),"
        if i < len(sizes) - 2:
            line += f" {TORCH_ACTIVATIONS[cfg.activation]},"
        layers.append(line)
    columns = ", ".join(FEATURE_CODE[f] for f in cfg.features)
    if cfg.problem == "classification":
        head, what = "torch.sigmoid(model(features(x)))", "P(class 1) for each point"
    else:
        head, what = "model(features(x))", "the predicted value for each point"
    hidden = "-".join(str(h) for h in cfg.hidden) or "none"
    return f'''"""Load the network trained in the glassnet playground and use it with PyTorch.

Set-up: {cfg.problem} on '{cfg.dataset}', features {", ".join(cfg.features)}, hidden layers {hidden},
activation {cfg.activation}, loss {cfg.loss}, optimizer {cfg.optimizer} (lr {cfg.learning_rate}).
Needs: pip install torch safetensors
"""
import torch
from torch import nn
from safetensors.torch import load_file

model = nn.Sequential(
{chr(10).join(layers)}
)
model.load_state_dict(load_file("{filename}"))
model.eval()


def features(x):
    """The playground's input features for points x of shape (n, 2): {", ".join(cfg.features)}."""
    x1, x2 = x[:, 0], x[:, 1]
    return torch.stack([{columns}], dim=1)


def predict(x):
    """{what}."""
    with torch.no_grad():
        return {head}.squeeze(1)


if __name__ == "__main__":
    print(predict(torch.tensor([[0.0, 0.0], [1.0, -1.0]])))
'''
