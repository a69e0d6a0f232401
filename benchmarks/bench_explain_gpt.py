"""explain.record of the tiny GPT of issue 22 (lessons/gpt_model.py's GPTConfig(): 2 layers, 4 heads,
64 channels, context 32; batch 16, a character vocabulary of 65, AdamW): a plain step, the recorded
step, the HTML and the JSON (attention heatmaps and summaries included), best of several runs, one
thread.  Goal (issue 22): record + HTML + JSON ≤ 1 s, the recorded step ≤ 1.5× the plain one.
``--profile`` adds a cProfile of record + HTML + JSON."""
import os
import sys
os.environ.setdefault("OMP_NUM_THREADS", "1")
from pathlib import Path

import glassnet
from glassnet.lessons.gpt_model import GPT, GPTConfig

sys.path.insert(0, str(Path(__file__).parent))
from _explain_bench import report  # noqa: E402

glassnet.manual_seed(0)
model = GPT(GPTConfig())
opt = glassnet.optim.AdamW(model.parameters(), lr=1e-3)
x, y = glassnet.randint(0, 65, (16, 32)), glassnet.randint(0, 65, (16, 32))

def plain():
    _, loss = model(x, y); opt.zero_grad(); loss.backward(); opt.step()

report(model, opt, plain, recorded_runs=11)
