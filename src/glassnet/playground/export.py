"""Export a session's model: its weights as safetensors and the PyTorch code that loads them."""
from __future__ import annotations

import base64
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


def export_message(model, filename: str, code_filename: str, code: str) -> dict:
    """The ``export`` message of any page: the weights (safetensors, base64) and the code."""
    blob = safetensors_bytes(model.state_dict())
    return {"type": "export", "filename": filename, "safetensors": base64.b64encode(blob).decode("ascii"),
            "code_filename": code_filename, "code": code}


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


def cnn_torch_code(cfg, filename: str) -> str:
    """A standalone PyTorch script that rebuilds the Images page's CNN and loads ``filename``."""
    acts = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}
    pools = {"max": "nn.MaxPool2d(2)", "avg": "nn.AvgPool2d(2)"}
    lines, cin, side = [], 1, 8
    for ch in cfg.channels:
        line = f"    nn.Conv2d({cin}, {ch}, {cfg.kernel_size}, padding={cfg.kernel_size // 2}), {acts[cfg.activation]},"
        if cfg.pooling != "none" and side >= 2:
            line += f" {pools[cfg.pooling]},"
            side //= 2
        lines.append(line)
        cin = ch
    lines.append(f"    nn.Flatten(), nn.Linear({cin * side * side}, 10),")
    body = "\n".join(lines)
    return f'''"""Load the CNN trained in the glassnet playground's Images page and use it with PyTorch.

Set-up: conv channels {",".join(map(str, cfg.channels))}, kernel {cfg.kernel_size}, pooling {cfg.pooling},
activation {cfg.activation}, optimizer {cfg.optimizer} (lr {cfg.learning_rate}), batch {cfg.batch_size}.
Input: 8×8 digits as scikit-learn's load_digits gives them, divided by 16 (values 0..1), shape (n, 1, 8, 8).
Needs: pip install torch safetensors
"""
import torch
from torch import nn
from safetensors.torch import load_file

model = nn.Sequential(
{body}
)
model.load_state_dict(load_file("{filename}"))
model.eval()


def predict(images):
    """Class probabilities for images of shape (n, 1, 8, 8) with values in 0..1."""
    with torch.no_grad():
        return torch.softmax(model(images), dim=1)


if __name__ == "__main__":
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = torch.tensor(digits.images[:10] / 16.0, dtype=torch.float32).unsqueeze(1)
    print("predicted:", predict(x).argmax(1).tolist())
    print("true:     ", digits.target[:10].tolist())
'''


def gpt_torch_code(cfg, chars, filename: str) -> str:
    """A standalone PyTorch script that rebuilds the Text page's model and loads ``filename``: the
    lesson's model code itself (``lessons/gpt_model.py`` is written against the torch API, so its
    classes run in PyTorch as they are), the vocabulary, and a sampler."""
    import inspect
    import json

    from glassnet.lessons import gpt_model
    source = inspect.getsource(gpt_model)
    classes = source[source.index("@dataclass(frozen=True)"):].rstrip()
    if cfg.model == "bigram":
        build, what = "BigramLanguageModel(len(chars))", "the bigram model (a table of next-character logits)"
    else:
        build = (f"GPT(GPTConfig(vocab_size=len(chars), block_size={cfg.block_size}, n_embd={cfg.n_embd}, "
                 f"n_head={cfg.n_head}, n_layer={cfg.n_layer}))")
        what = (f"a GPT of {cfg.n_layer} block{'s' if cfg.n_layer > 1 else ''} of {cfg.n_head} head"
                f"{'s' if cfg.n_head > 1 else ''}, {cfg.n_embd} channels, context {cfg.block_size}")
    return f'''"""Load the model trained in the glassnet playground's Text page and use it with PyTorch.

Model: {what}; AdamW (lr {cfg.learning_rate}), batches of {cfg.batch_size}.
The classes below are glassnet's lessons/gpt_model.py, unchanged: it is written against the torch API.
Needs: pip install torch safetensors
"""
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from safetensors.torch import load_file

{classes}


chars = {json.dumps(chars, ensure_ascii=False)}
stoi = {{ch: i for i, ch in enumerate(chars)}}


def encode(s):
    return [stoi[c] for c in s]


def decode(ids):
    return "".join(chars[int(i)] for i in ids)


model = {build}
model.load_state_dict(load_file("{filename}"))
model.eval()


def logits(text):
    """The next-character logits after each character of ``text``, shape (len(text), vocab)."""
    with torch.no_grad():
        return model(torch.tensor([encode(text)]))[0][0]


if __name__ == "__main__":
    start = torch.tensor([encode(chars[0])])
    print(decode(model.generate(start, max_new_tokens=200)[0].tolist()))
'''
