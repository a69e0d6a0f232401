"""What the blind corpus (tests/doctor/blind/RESULTS.md) found wrong, each fixed with a test:
closure-driven optimizers (LBFGS), unscaled attention at default initialisation, label imbalance
on next-token and per-pixel targets, and the class prior of an unshuffled first batch."""
import json
import textwrap

import pytest

pytest.importorskip("torch")

from glassnet.cli import main  # noqa: E402


TORCH_IMPORTS = "import torch, torch.nn as nn\nimport torch.nn.functional as F\n"
GLASSNET_IMPORTS = "import glassnet as torch\nimport glassnet.nn as nn\nimport glassnet.nn.functional as F\n"
ENGINES = ("torch", "glassnet")


def _on(engine, script):
    """The torch script as written, or the same program on glassnet (``import glassnet as torch``)."""
    assert TORCH_IMPORTS in script
    return script if engine == "torch" else script.replace(TORCH_IMPORTS, GLASSNET_IMPORTS)


def _doctor(tmp_path, capsys, source, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    code = main(["doctor", str(path), "--format", "json", "--threads", "1"])
    report = json.loads(capsys.readouterr().out)
    return code, report, {f["id"]: f for f in report["findings"]}


LBFGS = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(64, 4); y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
body, head = nn.Linear(4, 8), nn.Linear(8, 1)
model = nn.Sequential(body, nn.Tanh(), head)
opt = torch.optim.{opt}(model.parameters(), {kw})
for i in range({steps}):
    def closure():
        opt.zero_grad()
        h = torch.tanh(body(x)){detach}
        loss = nn.functional.mse_loss(head(h), y)
        loss.backward()
        return loss
    opt.step(closure)
"""


@pytest.mark.parametrize("opt, kw, steps", [("LBFGS", "lr=0.5", 4), ("SGD", "lr=0.05", 30)])
def test_closure_optimizers_see_the_gradients_of_the_closure(tmp_path, capsys, opt, kw, steps):
    code, report, ids = _doctor(tmp_path, capsys, LBFGS.format(opt=opt, kw=kw, steps=steps, detach=""))
    assert "frozen" not in ids and "no-training" not in ids and code == 0, ids
    assert report["steps_observed"] == steps


@pytest.mark.parametrize("opt, kw, steps", [("LBFGS", "lr=0.5", 4), ("SGD", "lr=0.05", 30)])
def test_a_frozen_layer_under_a_closure_optimizer_is_still_named(tmp_path, capsys, opt, kw, steps):
    _, _, ids = _doctor(tmp_path, capsys, LBFGS.format(opt=opt, kw=kw, steps=steps, detach=".detach()"))
    assert "frozen" in ids
    assert ids["frozen"]["where"]["parameter"] == "body.weight"   # the body, called first: the script's name


ATTENTION = """
import math
import torch, torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
V, T, C, H = 20, 12, 64, {head}
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, C); self.ln = nn.LayerNorm(C)
        self.key, self.query, self.value = (nn.Linear(C, H, bias=False) for _ in range(3))
        self.mha = nn.MultiheadAttention(C, 2, batch_first=True)
        self.out = nn.Linear({width}, V)
        self.register_buffer("tril", torch.tril(torch.ones(T, T)))
    def forward(self, idx):
        x = self.ln(self.emb(idx))
        k, q, v = self.key(x), self.query(x), self.value(x)
        {scores}
        return self.out(y)
model = Head()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for i in range(6):
    idx = torch.randint(0, V, (8, T + 1))
    logits = model(idx[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, V), idx[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
"""
SOFTMAX = ("wei = {expr}\n        wei = wei.masked_fill(self.tril == 0, float('-inf'))\n"
           "        y = F.softmax(wei, dim=-1) @ v")
UNSCALED = {
    "karpathy_head_no_scale": (32, "H", SOFTMAX.format(expr="q @ k.transpose(-2, -1)")),
    "sdpa_scale_one": (32, "H", "y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0)"),
}
SCALED = {
    "head_size_scale": (32, "H", SOFTMAX.format(expr="q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5")),
    "embedding_width_scale": (32, "H", SOFTMAX.format(expr="q @ k.transpose(-2, -1) * C ** -0.5")),
    "sqrt_division": (32, "H", SOFTMAX.format(expr="(q @ k.transpose(-2, -1)) / math.sqrt(H)")),
    "query_prescaled": (32, "H", SOFTMAX.format(expr="(q * H ** -0.5) @ k.transpose(-2, -1)")),
    "sdpa_default": (32, "H", "y = F.scaled_dot_product_attention(q, k, v, is_causal=True)"),
    "multihead_attention": (32, "C", "y = self.mha(x, x, x, need_weights=False)[0]"),
    "small_head_unscaled": (4, "H", SOFTMAX.format(expr="q @ k.transpose(-2, -1)")),
}


@pytest.mark.parametrize("case", UNSCALED)
@pytest.mark.parametrize("engine", ENGINES)
def test_attention_without_the_scale_factor_is_named(tmp_path, capsys, case, engine):
    head, width, scores = UNSCALED[case]
    code, _, ids = _doctor(tmp_path, capsys, _on(engine, ATTENTION.format(head=head, width=width, scores=scores)))
    assert "attention-unscaled" in ids, sorted(ids)
    found = ids["attention-unscaled"]
    assert found["severity"] == "warning" and code == 0
    assert "1/√32" in found["message"] and found["evidence"]["head_size"] == 32


@pytest.mark.parametrize("case", SCALED)
@pytest.mark.parametrize("engine", ENGINES)
def test_scaled_attention_is_not_named(tmp_path, capsys, case, engine):
    head, width, scores = SCALED[case]
    _, _, ids = _doctor(tmp_path, capsys, _on(engine, ATTENTION.format(head=head, width=width, scores=scores)))
    assert "attention-unscaled" not in ids, ids.get("attention-unscaled")


LABELS = """
import torch, torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
V, T, N = 27, 3, 512
X = torch.randint(0, V, (N, T))
zipf = 1.0 / torch.arange(1, V + 1).float()
{data}
{model}
opt = torch.optim.SGD(params, lr=0.1)
for i in range(30):
    ix = torch.randint(0, N, (64,))
    loss = F.cross_entropy(forward(X[ix]), Y[ix])
    opt.zero_grad(); loss.backward(); opt.step()
"""
NEXT_CHAR = "Y = torch.multinomial(zipf, N, replacement=True)  # letter frequencies: imbalanced by nature"
RARE_CLASS = "Y = (torch.rand(N) < 0.03).long()              # 3 % positives"
EMBEDDING_LM = """emb, head = nn.Embedding(V, 8), nn.Linear(8 * T, {classes})
params = list(emb.parameters()) + list(head.parameters())
def forward(x): return head(emb(x).view(len(x), -1))"""
LOOKUP_LM = """C = torch.randn(V, 8, requires_grad=True); W = torch.randn(8 * T, {classes}, requires_grad=True)
params = [C, W]
def forward(x): return C[x].view(len(x), -1) @ W"""
ONE_HOT_LM = """W = torch.randn(V, {classes}, requires_grad=True)
params = [W]
def forward(x): return F.one_hot(x[:, -1], V).float() @ W"""


@pytest.mark.parametrize("model", [EMBEDDING_LM, LOOKUP_LM, ONE_HOT_LM], ids=["embedding", "lookup", "one_hot"])
@pytest.mark.parametrize("engine", ENGINES)
def test_label_imbalance_is_not_reported_for_next_token_targets(tmp_path, capsys, model, engine):
    script = LABELS.format(data=NEXT_CHAR, model=model.format(classes="V"))
    _, _, ids = _doctor(tmp_path, capsys, _on(engine, script))
    assert "label-imbalance" not in ids


@pytest.mark.parametrize("model", [EMBEDDING_LM, LOOKUP_LM], ids=["embedding", "lookup"])
@pytest.mark.parametrize("engine", ENGINES)
def test_label_imbalance_is_kept_for_a_token_classifier_with_a_rare_class(tmp_path, capsys, model, engine):
    script = LABELS.format(data=RARE_CLASS, model=model.format(classes=2))
    _, _, ids = _doctor(tmp_path, capsys, _on(engine, script))
    assert ids["label-imbalance"]["severity"] == "warning"


def test_label_imbalance_on_per_pixel_targets_is_a_note(tmp_path, capsys):
    script = """
    import torch, torch.nn as nn
    torch.manual_seed(0)
    x = torch.rand(64, 1, 16, 16)
    y = (x[:, 0] > 0.97).long()                    # a few foreground pixels per image
    net = nn.Conv2d(1, 2, 3, padding=1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for i in range(20):
        loss = nn.CrossEntropyLoss()(net(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    """
    _, _, ids = _doctor(tmp_path, capsys, script)
    assert ids["label-imbalance"]["severity"] == "info"
    assert "per pixel" in ids["label-imbalance"]["message"]


PRIOR = """
import torch, torch.nn as nn
torch.manual_seed(0)
N = 640
y = {labels}
x = torch.randn(N, 4) + y[:, None]
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(3):
    for i in range(0, N, 32):                       # file order, no shuffling
        loss = nn.BCEWithLogitsLoss()(model(x[i:i + 32]).squeeze(1), y[i:i + 32])
        opt.zero_grad(); loss.backward(); opt.step()
"""


def test_the_class_prior_is_judged_over_the_measured_batches_not_the_first(tmp_path, capsys):
    # the file starts with 29 negatives in its first 32 rows, but 40 % of all rows are positive
    labels = "torch.cat([torch.zeros(29), torch.ones(3), (torch.rand(N - 32) < 0.42).float()])"
    _, _, ids = _doctor(tmp_path, capsys, PRIOR.format(labels=labels))
    assert "initial-loss" not in ids


def test_a_rare_class_over_the_measured_batches_gets_the_prior_note(tmp_path, capsys):
    _, _, ids = _doctor(tmp_path, capsys, PRIOR.format(labels="(torch.rand(N) < 0.05).float()"))
    note = ids["initial-loss"]
    assert note["severity"] == "info" and "measured training batches" in note["message"]


CHANCE = """
import torch, torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 10))
with torch.no_grad():
    model[2].weight.mul_(20)                        # a loud start: the first losses are far above ln 10
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for i in range(150):
    x = torch.randn(64, 8)
    y = {labels}
    loss = nn.CrossEntropyLoss(reduction="{reduction}")(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
"""


def test_a_classifier_that_settles_at_chance_is_stalled(tmp_path, capsys):
    # labels unrelated to the inputs: the loss falls from its loud start to ln 10 and stays there
    _, _, ids = _doctor(tmp_path, capsys, CHANCE.format(labels="torch.randint(0, 10, (64,))",
                                                       reduction="mean"))
    found = ids["lr-too-low-or-stalled"]
    assert found["severity"] == "warning" and "class prior" in found["message"]
    assert found["evidence"]["chance_loss"] == pytest.approx(2.3026, abs=0.02)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_classifier_that_learns_past_chance_is_not_stalled(tmp_path, capsys, reduction):
    labels = "(x[:, :5].argmax(1) * 2 + (x[:, 5] > 0).long())"
    _, _, ids = _doctor(tmp_path, capsys, CHANCE.format(labels=labels, reduction=reduction))
    assert "lr-too-low-or-stalled" not in ids
