"""explain.record of the tiny GPT of issue 22 (lessons/gpt_model.py's GPTConfig(): 2 layers, 4 heads,
64 channels, context 32; batch 16, a character vocabulary of 65, AdamW): a plain step, the recorded
step, the HTML and the JSON (attention heatmaps and summaries included), best of several runs, one
thread.  Goal (issue 22): record + HTML + JSON ≤ 1 s, the recorded step ≤ 1.5× the plain one.
``--profile`` adds a cProfile of record + HTML + JSON."""
import os
import sys
import time
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import glassnet
from glassnet import explain
from glassnet.lessons.gpt_model import GPT, GPTConfig

glassnet.manual_seed(0)
model = GPT(GPTConfig())
opt = glassnet.optim.AdamW(model.parameters(), lr=1e-3)
x, y = glassnet.randint(0, 65, (16, 32)), glassnet.randint(0, 65, (16, 32))

def plain():
    _, loss = model(x, y); opt.zero_grad(); loss.backward(); opt.step()

def recorded():
    with explain.record(model, opt) as rec:
        plain()
    return rec

def best(f, n=7):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts)), r

for _ in range(3): plain()
tp, tpm, _ = best(plain, 15)
tr, trm, rec = best(recorded, 11)
def full():
    rec = recorded(); rec.ops; h = rec.to_html(); j = rec.to_json(); return rec
tf, tfm, _ = best(full, 5)
def parts():
    t0 = time.perf_counter(); rec = recorded(); rec.ops; t1 = time.perf_counter()
    h = rec.to_html(); t2 = time.perf_counter(); j = rec.to_json(); t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(h), len(j)
p = min((parts() for _ in range(5)), key=lambda r: sum(r[:3]))
print(f"plain step: best {tp*1e3:.1f} ms (median {tpm*1e3:.1f})")
print(f"recorded step (record only, records flushed lazily): best {tr*1e3:.1f} ms (median {trm*1e3:.1f}); overhead x{tr/tp:.2f}")
print(f"record + HTML + JSON: best {tf*1e3:.1f} ms (median {tfm*1e3:.1f})")
print(f"  split (best run): record+flush {p[0]*1e3:.1f} ms, HTML {p[1]*1e3:.1f} ms ({p[3]//1024} KiB), JSON {p[2]*1e3:.1f} ms ({p[4]//1024} KiB)")
if "--profile" in sys.argv:
    import cProfile, pstats
    cProfile.run("full()", "/tmp/prof.out")
    pstats.Stats("/tmp/prof.out").sort_stats("cumulative").print_stats(35)
