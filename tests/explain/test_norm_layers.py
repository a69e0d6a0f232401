"""explain.record on a tiny network with BatchNorm2d, Dropout2d and Unflatten: it records, each
batch-norm step is its own op attributed to the layer (the channel mean, the centred values, the
variance, the per-channel scale), and the text, HTML and JSON render."""
import json

import glassnet
from glassnet import nn, optim
from glassnet.explain import record
from glassnet.nn import functional as F


def test_a_batchnorm2d_step_records_each_op_and_renders():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 12), nn.Unflatten(1, (3, 2, 2)), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.Dropout2d(0.25), nn.Flatten(), nn.Linear(12, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(4, 6), glassnet.tensor([0, 1, 1, 0])
    with record(model, opt) as step:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    bn_ops = [op.op for op in step.ops if op.module == "2"]
    names = " ".join(map(str, bn_ops))
    for expected in ("Mean", "Sub", "Sqrt", "Mul", "Add"):
        assert expected in names, names
    assert int(model[2].num_batches_tracked.item()) == 1
    text = step.to_text()
    assert "2 · mean" in text and "2 · sqrt" in text
    html = step.to_html()
    assert "glassnet-explain" in html and "2.running_mean" not in html and "Reshape" in html
    assert json.loads(step.to_json())
