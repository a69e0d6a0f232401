"""glassnet.observe.step_capture: one real torch step, captured as data (explain replays it; the
capture itself knows nothing of explain)."""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from glassnet.observe.step_capture import TorchCall, TorchStepCapture  # noqa: E402


def _step(capture_options=None):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, t = torch.randn(4, 3), torch.randn(4, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cap = TorchStepCapture(model, opt, **(capture_options or {}))
    with cap:
        loss = torch.nn.functional.mse_loss(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return cap, model, before, x, t, loss


def test_calls_modules_gradients_and_the_step_are_captured():
    cap, model, before, x, t, loss = _step()
    calls = [e for e in cap.events if isinstance(e, TorchCall)]
    assert [c.func.__name__ for c in calls] == ["linear", "relu", "linear", "mse_loss"]
    paths = [(e[0], e[1]) for e in cap.events if not isinstance(e, TorchCall)]
    assert paths[0] == ("pre", "") and paths[-1] == ("post", "")
    assert ("pre", "0") in paths and ("post", "2") in paths
    assert cap.loss is loss and cap.model_args[0] is x
    assert cap.output() is calls[2].out
    # ∂L/∂output of every op from the real backward, and the values when first seen
    assert all(id(c.out) in cap.grads for c in calls)
    np.testing.assert_array_equal(cap.values[id(x)], x.numpy())
    # each parameter before the step, its gradient, value after and optimizer state
    np.testing.assert_array_equal(cap.before["0.weight"], before["0.weight"].numpy())
    value, grad, state = cap.step_before["0.weight"]
    np.testing.assert_array_equal(value, before["0.weight"].numpy())
    after, _, state_after = cap.step_after["0.weight"]
    np.testing.assert_array_equal(after, model[0].weight.detach().numpy())
    np.testing.assert_allclose(state_after["momentum_buffer"], grad)


def test_rerun_gives_the_predictions_and_loss_after_the_step():
    cap, model, _, x, t, _ = _step()
    predictions, loss = cap.rerun(cap.output())
    with torch.no_grad():
        np.testing.assert_array_equal(predictions, model(x).numpy())
        assert loss == pytest.approx(float(torch.nn.functional.mse_loss(model(x), t)))


def test_the_hooks_are_gone_after_the_block_and_release_lets_the_tensors_go():
    from torch.overrides import _get_current_function_mode_stack
    cap, *_ = _step()
    assert not _get_current_function_mode_stack()
    assert cap.keep
    cap.release()
    assert not cap.keep


def test_the_observation_package_never_imports_explain_or_the_doctor():
    code = ("import sys, glassnet.observe, glassnet.observe.step_capture; "
            "print(sorted(m for m in sys.modules if m.startswith(('glassnet.explain', "
            "'glassnet.doctor', 'glassnet.bridge'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
