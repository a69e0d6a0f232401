"""The seed tutorials' networks, run with glassnet in place of torch, give torch's numbers."""
import numpy as np
import pytest

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")


def MyBasicNN(lib, final_bias=-16.0, trainable=False):  # noqa: N802 - seed 001's class, per library
    nn, F = lib.nn, lib.nn.functional

    class MyBasicNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.w00 = nn.Parameter(lib.tensor(1.7), requires_grad=False)
            self.b00 = nn.Parameter(lib.tensor(-0.85), requires_grad=False)
            self.w01 = nn.Parameter(lib.tensor(-40.8), requires_grad=False)
            self.w10 = nn.Parameter(lib.tensor(12.6), requires_grad=False)
            self.b10 = nn.Parameter(lib.tensor(0.0), requires_grad=False)
            self.w11 = nn.Parameter(lib.tensor(2.7), requires_grad=False)
            self.final_bias = nn.Parameter(lib.tensor(final_bias), requires_grad=trainable)

        def forward(self, input):
            input_to_top_relu = input * self.w00 + self.b00
            top_relu_output = F.relu(input_to_top_relu)
            scaled_top_relu_output = top_relu_output * self.w01
            input_to_bottom_relu = input * self.w10 + self.b10
            bottom_relu_output = F.relu(input_to_bottom_relu)
            scaled_bottom_relu_output = bottom_relu_output * self.w11
            input_to_final_relu = scaled_top_relu_output + scaled_bottom_relu_output + self.final_bias
            return F.relu(input_to_final_relu)
    return MyBasicNN


def test_seed_001_dose_network_forward_equals_torch():
    outputs = []
    for lib in (glassnet, torch):
        model = MyBasicNN(lib)()
        outputs.append(model(lib.linspace(start=0, end=1, steps=11)).detach().numpy())
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert outputs[0][5] == pytest.approx(1.0, abs=0.02)  # effectiveness 1 at dose 0.5


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # torch warns at float(loss)
def test_seed_001_training_the_final_bias_takes_torchs_steps_to_torchs_value():
    results = []
    for lib in (glassnet, torch):
        model = MyBasicNN(lib, final_bias=0.0, trainable=True)()
        assert [n for n, p in model.named_parameters() if p.requires_grad] == ["final_bias"]
        inputs, labels = lib.tensor([0.0, 0.5, 1.0]), lib.tensor([0.0, 1.0, 0.0])
        for epoch in range(100):
            total_loss = 0
            for i in range(len(inputs)):
                loss = (model(inputs[i]) - labels[i]) ** 2
                loss.backward()
                total_loss += float(loss)
            if total_loss < 0.0001:
                break
            with lib.no_grad():  # optimizer.step() of SGD(lr=0.1) ...
                for p in model.parameters():
                    if p.grad is not None:
                        p -= 0.1 * p.grad
            model.zero_grad()     # ... and optimizer.zero_grad()
        results.append((epoch, model.final_bias.item(), [p.item() for p in model.parameters()]))
    assert results[0] == results[1]
    assert results[0][0] == 34 and round(results[0][1], 4) == -16.0019


def DiagonalFlipNet(lib, bias0_ulps=0):  # noqa: N802 - seed 002
    """Seed 002's network and weights; ``bias0_ulps`` moves layer1.bias[0] by that many float32 ulps."""
    nn, F = lib.nn, lib.nn.functional

    class DiagonalFlipNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(4, 3)
            self.layer2 = nn.Linear(3, 4)

        def forward(self, x):
            h = F.relu(self.layer1(x))
            return self.layer2(h)

    b0 = np.float32(0.1)
    for _ in range(abs(bias0_ulps)):
        b0 = np.nextafter(b0, np.float32(np.inf if bias0_ulps > 0 else -np.inf))
    model = DiagonalFlipNet()
    with lib.no_grad():
        model.layer1.weight.copy_(lib.tensor([[0.2, -0.3, 0.1, -0.4], [-0.5, 0.4, 0.3, 0.2], [0.1, -0.2, 0.5, -0.1]]))
        model.layer1.bias.copy_(lib.tensor([float(b0), -0.1, 0.0]))
        model.layer2.weight.copy_(lib.tensor([[0.3, -0.1, 0.2], [-0.2, 0.5, -0.4], [0.4, -0.3, 0.1],
                                              [0.1, 0.2, -0.5]]))
        model.layer2.bias.copy_(lib.tensor([0.0, 0.1, -0.1, 0.0]))
    return model


# Hidden unit 0's pre-activation is 0.2 + 0.1 - 0.4 + 0.1 = 0 exactly: on the ReLU's kink.  In float32
# every summation order a BLAS kernel may use gives one of -1.49e-8, -7.45e-9, 0 or +7.45e-9, so
# either side can happen on a given CPU.  Moving the bias by 4 ulps (2.98e-8) puts z0 on a known side
# in every order (all orders then give 1.49e-8 ... 3.73e-8 in size), which proves both branches of
# the checks below on any machine.
KINK_SIDES = {0: None, -4: "dead", +4: "alive"}
OUTCOMES = {  # the full float32 outcome on each side of the kink (after one SGD step, lr 0.1)
    "dead": {"layer1.bias": [0.0, 0.0, 0.44], "nonzero": 12, "changed": 12, "loss_after": 0.7257526},
    "alive": {"layer1.bias": [-0.0975, 0.0, 0.44], "nonzero": 20, "changed": 16, "loss_after": 0.721839},
}


def _seed_002_step(lib, loss_form, bias0_ulps):
    model = DiagonalFlipNet(lib, bias0_ulps)
    x, target = lib.tensor([1.0, 0.0, 1.0, 1.0]), lib.tensor([1.0, 1.0, 0.0, 1.0])
    with lib.no_grad():
        z0 = float(model.layer1(x)[0])
    y_hat = model(x)
    loss = lib.mean((y_hat - target) ** 2) if loss_form == "written_out" else lib.nn.MSELoss()(y_hat, target)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer.zero_grad()
    loss.backward()
    grads = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
    optimizer.step()
    with lib.no_grad():
        loss_after = float(lib.mean((model(x) - target) ** 2))
    changed = sum(int((p.detach() != before[n]).sum()) for n, p in model.named_parameters())
    return {"z0": z0, "loss": loss.item(), "y_hat": y_hat.detach().numpy(), "grads": grads,
            "nonzero": sum(int((g != 0).sum()) for g in grads.values()), "changed": changed,
            "loss_after": loss_after}


@pytest.mark.parametrize("bias0_ulps", sorted(KINK_SIDES))
@pytest.mark.parametrize("loss_form", ["written_out", "MSELoss"])
def test_seed_002_diagonal_flip_net_gives_torchs_step_on_either_side_of_the_kink(loss_form, bias0_ulps):
    g, t = (_seed_002_step(lib, loss_form, bias0_ulps) for lib in (glassnet, torch))
    assert g["loss"] == pytest.approx(t["loss"], rel=1e-6) and round(g["loss"], 5) == 0.89625
    np.testing.assert_allclose(g["y_hat"], t["y_hat"], rtol=1e-6, atol=1e-7)
    assert list(g["grads"]) == list(t["grads"]) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    for run in (g, t):
        side = "alive" if run["z0"] > 0 else "dead"
        if KINK_SIDES[bias0_ulps] is not None:
            assert side == KINK_SIDES[bias0_ulps], run["z0"]
        assert abs(run["z0"]) < 4e-8      # at the kink, whichever side
        expected = OUTCOMES[side]
        np.testing.assert_allclose(run["grads"]["layer2.bias"], [-0.45, -0.55, -0.025, -0.625], rtol=1e-6)
        np.testing.assert_allclose(run["grads"]["layer1.bias"], expected["layer1.bias"], rtol=1e-5, atol=1e-7)
        assert (run["nonzero"], run["changed"]) == (expected["nonzero"], expected["changed"])
        assert run["loss_after"] == pytest.approx(expected["loss_after"], abs=1e-5)
    if (g["z0"] > 0) == (t["z0"] > 0):  # same side: every gradient agrees with torch's
        for name in g["grads"]:
            np.testing.assert_allclose(g["grads"][name], t["grads"][name], rtol=1e-5, atol=1e-7, err_msg=name)


def NeuralNetwork(lib):  # noqa: N802 - seed 003
    nn = lib.nn

    class NeuralNetwork(nn.Module):
        def __init__(self, input_size=2, hidden_sizes=[16, 8], output_size=1):  # noqa: B006
            super().__init__()
            layers = []
            prev_size = input_size
            for hidden_size in hidden_sizes:
                layers.append(nn.Linear(prev_size, hidden_size))
                layers.append(nn.ReLU())
                prev_size = hidden_size
            layers.append(nn.Linear(prev_size, output_size))
            self.network = nn.Sequential(*layers)

        def forward(self, x):
            return self.network(x)
    return NeuralNetwork


def test_seed_003_network_has_193_parameters_and_torchs_repr_and_names():
    g, t = NeuralNetwork(glassnet)(), NeuralNetwork(torch)()
    assert sum(p.numel() for p in g.parameters()) == 193
    assert repr(g) == repr(t)
    assert repr(g).startswith("NeuralNetwork(\n  (network): Sequential(\n    (0): Linear(in_features=2, "
                              "out_features=16, bias=True)\n    (1): ReLU()\n")
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_seed_003_training_with_bce_with_logits_follows_torch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, :1] * X[:, 1:] > 0).astype(np.float32)
    t_model = NeuralNetwork(torch)()
    g_model = NeuralNetwork(glassnet)()
    g_model.load_state_dict(t_model.state_dict())
    losses = []
    for lib, model in ((glassnet, g_model), (torch, t_model)):
        criterion, history = lib.nn.BCEWithLogitsLoss(), []
        for _ in range(30):
            model.train()
            loss = criterion(model(lib.tensor(X)), lib.tensor(y))
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.5 * p.grad
            history.append(loss.item())
        losses.append(history)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert losses[0][-1] < losses[0][0]


def test_seed_004_sigmoid_network_with_mse_loss_follows_torch():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    histories = []
    t_fc = torch.nn.Linear(2, 1)
    for lib in (glassnet, torch):
        model = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.Sigmoid())
        model[0].load_state_dict(t_fc.state_dict())
        loss_fn, history = lib.nn.MSELoss(), []
        for _ in range(50):
            loss = loss_fn(model(lib.tensor(X)), lib.tensor(y))
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            history.append(loss.item())
        histories.append(history)
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)


def create_spiral_data(lib, n_points=100, noise=0.2):
    """Seed 003's data set, verbatim but for the library."""
    rs = np.random.RandomState(42)
    theta = np.linspace(0, 4 * np.pi, n_points)
    r = np.linspace(0.5, 2, n_points)
    x0, y0 = r * np.cos(theta) + rs.randn(n_points) * noise, r * np.sin(theta) + rs.randn(n_points) * noise
    x1 = r * np.cos(theta + np.pi) + rs.randn(n_points) * noise
    y1 = r * np.sin(theta + np.pi) + rs.randn(n_points) * noise
    X = np.column_stack([np.concatenate([x0, x1]), np.concatenate([y0, y1])])
    y = np.concatenate([np.zeros(n_points), np.ones(n_points)])
    idx = rs.permutation(len(y))
    return lib.FloatTensor(X[idx]), lib.FloatTensor(y[idx]).unsqueeze(1)


def test_seed_003_full_training_script_with_adam_tracks_torch():
    t_model = NeuralNetwork(torch)()  # torch's generator is seeded by conftest
    histories = []
    for lib in (glassnet, torch):
        model = NeuralNetwork(lib)()
        model.load_state_dict(t_model.state_dict())
        X_train, y_train = create_spiral_data(lib, n_points=200)
        criterion = lib.nn.BCEWithLogitsLoss()
        optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
        history = {"loss": [], "accuracy": []}
        for _ in range(500):
            model.train()
            outputs = model(X_train)
            loss = criterion(outputs, y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with lib.no_grad():
                predictions = (lib.sigmoid(outputs) > 0.5).float()
                accuracy = (predictions == y_train).float().mean()
            history["loss"].append(loss.item())
            history["accuracy"].append(accuracy.item())
        histories.append(history)
    g, t = histories
    # Step for step at first; float32 rounding (a different summation order inside the matrix
    # products) then lets the two trajectories drift apart slowly, as two torch builds would.
    np.testing.assert_allclose(g["loss"][:100], t["loss"][:100], rtol=1e-4)
    np.testing.assert_allclose(g["loss"], t["loss"], rtol=2e-2)
    assert abs(g["accuracy"][-1] - t["accuracy"][-1]) <= 0.03
    assert g["loss"][-1] < 0.8 * g["loss"][0]
