"""A tensor-only PyTorch program runs on glassnet with only the import changed and prints
PyTorch's numbers (the seed dose network trained per sample, as in seed 001)."""
import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent('''
    import torch
    device = torch.device("cpu")
    x = torch.tensor([0.1, 0.2], requires_grad=True)
    print(x)
    y = (torch.sin(x) * 3 + x ** 2).sum()
    y.backward()
    print(y, x.grad)

    # The seed dose network (seed 001), written with tensors and a manual update.
    w00, b00, w01 = torch.tensor(1.7), torch.tensor(-0.85), torch.tensor(-40.8)
    w10, b10, w11 = torch.tensor(12.6), torch.tensor(0.0), torch.tensor(2.7)
    final_bias = torch.tensor(0.0, requires_grad=True, device=device)

    def model(dose):
        top = torch.relu(dose * w00 + b00) * w01
        bottom = torch.relu(dose * w10 + b10) * w11
        return torch.relu(top + bottom + final_bias)

    print(model(torch.linspace(0, 1, 11)))
    inputs = torch.tensor([0.0, 0.5, 1.0]).to(device)
    labels = torch.tensor([0.0, 1.0, 0.0])
    for epoch in range(100):
        total_loss = 0
        for i in range(len(inputs)):
            loss = (model(inputs[i]) - labels[i]) ** 2
            loss.backward()
            total_loss += float(loss.detach())
        if total_loss < 0.0001:
            print("Num steps: " + str(epoch))
            break
        with torch.no_grad():
            final_bias -= 0.1 * final_bias.grad
        final_bias.grad.zero_()
        print("Step: " + str(epoch) + " Final Bias: " + str(final_bias.data))
    print("Final bias, after optimization: " + str(final_bias.data))
''')


def run(program):
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_glassnet_prints_what_torch_prints():
    pytest.importorskip("torch", reason="torch is the oracle for this test")
    expected = run(PROGRAM)
    actual = run(PROGRAM.replace("import torch", "import glassnet as torch"))
    assert "Num steps: 34" in expected and "tensor(-16.0019)" in expected
    assert actual == expected
