"""explain's LSTM step (``Recording.lstm_step``, ``explain/recurrent.py``): for a recorded step of
a model with ``nn.LSTM`` the gates of one unit at one time step, with their pre-activation sums
and the new states, equal the LSTM equations computed here from the model's weights; the
recording of such a model renders as text, HTML and JSON."""
import json

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.explain import record


class Tagger(nn.Module):
    def __init__(self, bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(4 * (2 if bidirectional else 1), 1)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.head(y).squeeze(-1)


def _step(model, dtype=glassnet.float32):
    glassnet.manual_seed(1)
    model = model.to(dtype)
    opt = glassnet.optim.Adam(model.parameters(), lr=0.01)
    x, y = glassnet.randn(2, 5, 3, dtype=dtype), glassnet.randn(2, 5, dtype=dtype)
    with record(model, opt) as step:
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step, x


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_lstm_step_numbers_follow_the_equations():
    glassnet.manual_seed(0)
    model = Tagger()
    before = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    step, x = _step(model, glassnet.float64)
    xs = x.numpy()
    # layer 0 by hand, sequence 1, up to t = 3
    W, U, b = before["lstm.weight_ih_l0"], before["lstm.weight_hh_l0"], before["lstm.bias_ih_l0"] + before["lstm.bias_hh_l0"]
    h, c = np.zeros(4), np.zeros(4)
    for t in range(4):
        a = W @ xs[1, t] + U @ h + b
        i, f, g, o = _sigmoid(a[:4]), _sigmoid(a[4:8]), np.tanh(a[8:12]), _sigmoid(a[12:])
        c_prev, c = c, f * c + i * g
        h = o * np.tanh(c)
    s = step.lstm_step(layer=0, t=3, batch=1, unit=2)
    assert s.matches_recording
    np.testing.assert_allclose([s.parts[k][5] for k in "ifgo"], [i[2], f[2], g[2], o[2]], rtol=1e-12)
    np.testing.assert_allclose(s.parts["f"][4], a[6], rtol=1e-12)
    np.testing.assert_allclose([s.c_prev, s.c, s.h], [c_prev[2], c[2], h[2]], rtol=1e-12)
    text = str(s)
    assert "c_t = f·c_(t−1) + i·g" in text and "h_t = o·tanh(c_t)" in text and "matches" in text
    assert s.grad_h is not None and s.grad_h != 0        # the head reads every step
    json.dumps(s.to_dict())
    assert s.to_html().startswith("<pre") and "c_t = f·c_(t−1) + i·g" in s._repr_html_()


def test_layers_and_directions_are_found_and_errors_name_what_exists():
    step, _ = _step(Tagger(bidirectional=True))
    assert step.lstm_step(layer=1, t=4, batch=0, unit=3, reverse=True).matches_recording
    assert step.lstm_step(layer=1, t=0, module="lstm").matches_recording
    with pytest.raises(ValueError, match="layer 1 reverse"):
        step.lstm_step(layer=2)
    with pytest.raises(IndexError, match="t = 5"):
        step.lstm_step(t=5)


def test_lstm_cell_steps_are_found_too():
    glassnet.manual_seed(0)
    cell, head = nn.LSTMCell(2, 3), nn.Linear(3, 1)

    class Loop(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell, self.head = cell, head

        def forward(self, x):
            h = c = None
            for t in range(x.shape[1]):
                h, c = self.cell(x[:, t], None if h is None else (h, c))
            return self.head(h)
    m = Loop()
    opt = glassnet.optim.SGD(m.parameters(), lr=0.1)
    x = glassnet.randn(2, 3, 2)
    with record(m, opt) as step:
        loss = m(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert step.lstm_step(module="cell").matches_recording


def test_a_recording_without_lstm_says_so():
    model = nn.Linear(2, 1)
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with record(model, opt) as step:
        loss = model(glassnet.randn(3, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with pytest.raises(ValueError, match="no LSTM"):
        step.lstm_step()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_an_lstm_recording_renders(bidirectional):
    step, _ = _step(Tagger(bidirectional))
    assert "One training step" in step.to_text()
    assert "<html" in step.to_html().lower() or "<div" in step.to_html()
    json.loads(step.to_json())
    step.to_markdown()


def test_packed_sequences_are_explained_with_their_lengths():
    glassnet.manual_seed(0)
    lstm, head = nn.LSTM(2, 3), nn.Linear(3, 1)

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = lstm, head

        def forward(self, x):
            out, (h, c) = self.lstm(nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1]))
            return self.head(h[-1])
    m = Packed()
    opt = glassnet.optim.SGD(m.parameters(), lr=0.1)
    with record(m, opt) as step:
        loss = m(glassnet.randn(4, 3, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    lengths = [4, 2, 1]
    assert all(step.lstm_step(t=t, batch=b).matches_recording and
               step.lstm_step(t=t, batch=b).h != 0 for b in range(3) for t in range(lengths[b]))
    with pytest.raises(ValueError, match="sequence 1 has no step t = 2: its length is 2"):
        step.lstm_step(t=2, batch=1)


class ProjTagger(nn.Module):
    def __init__(self, hidden=12, proj=3, bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(3, hidden, num_layers=2, batch_first=True, proj_size=proj,
                            bidirectional=bidirectional)
        self.head = nn.Linear(proj * (2 if bidirectional else 1), 1)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.head(y).squeeze(-1)


@pytest.mark.parametrize("hidden", [5, 12])      # W_hr·r written out in full, and with a tail summed
def test_lstm_step_with_projections_shows_r_and_w_hr(hidden):
    """nn.LSTM(proj_size=P): the gates as for a plain LSTM (W_hh·h reads the P-wide h), then
    r = o·tanh(c_t) for the unit and h_t[j] = Σ_k W_hr[j, k]·r_k for the output unit j, each number
    equal to the equations computed here and, for the last layer, to torch's output."""
    torch = pytest.importorskip("torch")
    glassnet.manual_seed(0)
    model = ProjTagger(hidden)
    before = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    step, x = _step(model, glassnet.float64)
    xs = x.numpy()
    H = hidden
    # layer 0 by hand, sequence 1, up to t = 3
    W, U, R = before["lstm.weight_ih_l0"], before["lstm.weight_hh_l0"], before["lstm.weight_hr_l0"]
    b = before["lstm.bias_ih_l0"] + before["lstm.bias_hh_l0"]
    h, c = np.zeros(3), np.zeros(H)
    for t in range(4):
        a = W @ xs[1, t] + U @ h + b
        i, f, g, o = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), _sigmoid(a[3 * H:])
        c_prev, c = c, f * c + i * g
        r = o * np.tanh(c)
        h = R @ r
    s = step.lstm_step(layer=0, t=3, batch=1, unit=4, out_unit=2)
    assert s.matches_recording
    np.testing.assert_allclose([s.parts[k][5] for k in "ifgo"], [i[4], f[4], g[4], o[4]], rtol=1e-12)
    np.testing.assert_allclose(s.parts["o"][4], a[3 * H + 4], rtol=1e-12)
    # (h is a sum: an absolute 1e-13 too, so another summation order cannot fail it near 0)
    np.testing.assert_allclose([s.c_prev, s.c, s.r, s.h], [c_prev[4], c[4], r[4], h[2]], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(s.proj_terms, R[2] * r, rtol=1e-12)
    text = str(s)
    assert "r_t = o·tanh(c_t)" in text and "h_t[2] = W_hr[2]·r_t = Σ_k W_hr[2, k]·r_k" in text
    assert ("other 4 terms" in text) == (H == 12) and "output unit 2" in text and "matches" in text
    assert s.grad_h is not None and s.grad_h != 0
    d = json.loads(json.dumps(s.to_dict()))
    assert d["out_unit"] == 2 and len(d["W_hr·r terms"]) == H
    # the last layer's h_t is torch's output
    tl = torch.nn.LSTM(3, H, num_layers=2, batch_first=True, proj_size=3).double()
    tl.load_state_dict({k[len("lstm."):]: torch.tensor(v) for k, v in before.items() if k.startswith("lstm.")})
    y = tl(torch.tensor(xs))[0].detach().numpy()
    for t, bt, j in ((0, 0, 0), (4, 1, 1), (2, 0, 2)):
        np.testing.assert_allclose(step.lstm_step(layer=1, t=t, batch=bt, unit=1, out_unit=j).h, y[bt, t, j],
                                   rtol=1e-12, atol=1e-13)


def test_projected_lstm_both_directions_and_out_unit_range():
    step, _ = _step(ProjTagger(5, 2, bidirectional=True))
    assert step.lstm_step(layer=1, t=4, batch=0, unit=4, reverse=True, out_unit=1).matches_recording
    assert step.lstm_step(layer=0, t=0, batch=1, unit=0).matches_recording
    with pytest.raises(IndexError, match="out_unit = 2 is out of range: the layer has 2"):
        step.lstm_step(out_unit=2)
    with pytest.raises(IndexError, match="unit = 5 is out of range: the layer has 5"):
        step.lstm_step(unit=5)
