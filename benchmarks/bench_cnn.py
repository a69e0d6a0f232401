"""CNNs on glassnet and PyTorch, one thread each: a training step of the CIFAR tutorial's network
(3×32×32, batch 32, SGD with momentum) and a LeNet-style network on scikit-learn's 8×8 digits
(batch 64, Adam, one epoch), and how far each run raises the process's peak memory."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402


def cifar_net(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.pool, self.conv2 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return Net()


IMAGES = np.sin(np.arange(32 * 3 * 32 * 32, dtype=np.float32).reshape(32, 3, 32, 32) * 0.013)
LABELS = np.arange(32) % 10


def cifar_steps(lib, steps: int = 10):
    lib.manual_seed(0)
    net = cifar_net(lib)
    optimizer = lib.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    x, y = lib.tensor(IMAGES), lib.tensor(LABELS)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
    return loss


def digits_data():
    from sklearn.datasets import load_digits
    data = load_digits()
    X = (data.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return X, data.target.astype(np.int64)


X_NP, Y_NP = digits_data()


def lenet_digits(lib, epochs: int = 1):
    lib.manual_seed(0)
    nn, data = lib.nn, lib.utils.data
    model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    loader = data.DataLoader(data.TensorDataset(lib.tensor(X_NP), lib.tensor(Y_NP)), batch_size=64,
                             shuffle=True, generator=lib.Generator().manual_seed(0))
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def peak_extra_memory(engine: str, workload: str) -> float:
    """MiB by which a fresh process's resident set rises at its peak while it runs ``workload`` on
    ``engine`` once (after the imports; Linux's VmHWM, reset through /proc/self/clear_refs)."""
    code = ("import importlib, sys; sys.path.insert(0, sys.argv[1]); import bench_cnn as b; "
            "lib = importlib.import_module(sys.argv[2]); getattr(lib, 'set_num_threads', print)(1); "
            "open('/proc/self/clear_refs', 'w').write('5'); before = b._status_kib('VmRSS'); "
            "getattr(b, sys.argv[3])(lib); print((b._status_kib('VmHWM') - before) / 1024)")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), engine, workload],
                          capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    return float(done.stdout.split()[-1]) if done.returncode == 0 else float("nan")


if __name__ == "__main__":
    compare("CIFAR tutorial net, 3x32x32, batch 32, SGD momentum, 10 training steps", cifar_steps, goal=2.0)
    compare("LeNet-style CNN on 8x8 digits, batch 64, Adam, 1 epoch", lenet_digits, goal=1.0)
    for name, workload in (("CIFAR net, 10 steps", "cifar_steps"), ("LeNet on digits, 1 epoch", "lenet_digits")):
        mem = {engine: peak_extra_memory(engine, workload) for engine in ("glassnet", "torch")}
        print(f"{name}: peak memory above the process after its imports: glassnet {mem['glassnet']:.1f} "
              f"MiB, PyTorch {mem['torch']:.1f} MiB")
