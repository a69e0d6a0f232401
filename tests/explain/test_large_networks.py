"""Recordings of networks with layers wider than a table cell can show still render."""
import glassnet
from glassnet import explain


def test_text_and_json_render_for_an_8_by_8_layer():
    glassnet.manual_seed(0)
    nn = glassnet.nn
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(10, 2), glassnet.randn(10, 1)
    with explain.record(model, opt) as step:
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    text = step.to_text()
    assert "(64 values)" in text or "(80 values)" in text
    assert step.to_dict()["layers"]
