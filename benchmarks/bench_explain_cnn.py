"""explain.record of the PyTorch CIFAR tutorial net (3x32x32, batch 32): a plain step, the
recorded step, the HTML and the JSON, best of several runs, one thread.
Goal (issue 21): record + HTML + JSON ≤ 0.5 s, the recorded step ≤ 1.5× the plain one.
``--profile`` adds a cProfile of record + HTML + JSON."""
import os
import sys
os.environ.setdefault("OMP_NUM_THREADS", "1")
from pathlib import Path

import glassnet
import glassnet.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from _explain_bench import report  # noqa: E402
from bench_cnn import cifar_net  # noqa: E402

glassnet.manual_seed(0)
model = cifar_net(glassnet)
opt = glassnet.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
x, y = glassnet.randn(32, 3, 32, 32), glassnet.randint(0, 10, (32,))

def plain():
    loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step()

report(model, opt, plain)
