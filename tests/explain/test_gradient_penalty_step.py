"""explain.record on a step with a gradient penalty (autograd.grad with create_graph=True): the
double-backward walk pauses the observers, and the recording of the final backward renders."""
import json

import glassnet
from glassnet import explain, nn


def test_a_gradient_penalty_step_records_and_renders():
    glassnet.manual_seed(0)
    critic = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = glassnet.optim.SGD(critic.parameters(), lr=0.1)
    real, fake = glassnet.randn(4, 3), glassnet.randn(4, 3)
    with explain.record(critic, opt) as rec:
        interp = (0.5 * real + 0.5 * fake).requires_grad_(True)
        out = critic(interp)
        g = glassnet.autograd.grad(out, interp, glassnet.ones_like(out), create_graph=True)[0]
        loss = critic(fake).mean() - critic(real).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert "Recording" in repr(rec)
    assert rec.to_text() and rec._repr_html_()
    json.loads(rec.to_json())
