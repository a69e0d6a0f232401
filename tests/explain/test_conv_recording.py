"""explain.record on a tiny CNN (Conv2d, ConvTranspose2d): the step records, renders as text, HTML
and JSON, and a kernel weight's gradient is the one backward computed (its derivation as a sum over samples
and positions: test_conv_explain.py)."""
import numpy as np

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import explain


def test_record_of_a_conv_net_renders_and_keeps_the_kernel_gradient():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.ConvTranspose2d(2, 1, 2, stride=2),
                          nn.Flatten(), nn.Linear(64, 3))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(2, 1, 4, 4), glassnet.tensor([0, 2])
    with explain.record(model, opt) as rec:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        grad = model[0].weight.grad.numpy().copy()
        opt.step()
    text = rec.to_text()
    assert "ConvNd" in text and "ConvTransposeNd" in text
    assert rec.to_html() and rec.to_json()
    derivation = str(rec.derivation("0.weight[0, 0, 1, 1]"))
    assert "ConvolutionBackward0" in derivation
    assert f"{grad[0, 0, 1, 1]:.3g}"[:4] in derivation.replace("−", "-")
    assert np.isfinite(grad).all()
