"""ModuleDict, ParameterList, ParameterDict, a non-persistent buffer and nanoGPT's weight tying
(lm_head.weight = wte.weight) trained a few steps with AdamW; the state_dict keys printed."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def formula(t, phase):
    n = t.numel()
    return (torch.sin(torch.arange(n, dtype=torch.float32) * 0.61 + phase) * 0.5).view(t.shape)


def rounded(t, digits=4):
    return [round(v, digits) for v in t.detach().flatten().tolist()]


class TinyLM(nn.Module):
    def __init__(self, vocab=7, dim=4, block=3):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleDict({"mix": nn.Linear(dim, dim), "act": nn.GELU(approximate="tanh")})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(dim)) for _ in range(2)])
        self.extra = nn.ParameterDict({"shift": nn.Parameter(torch.zeros(dim)), "gain": nn.Parameter(torch.ones(1))})
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight
        self.register_buffer("tril", torch.tril(torch.ones(block, block)))
        self.register_buffer("cache", torch.zeros(dim), persistent=False)

    def forward(self, idx):
        x = self.wte(idx) * self.scales[0]
        w = self.tril / self.tril.sum(1, keepdim=True)
        x = w @ x
        x = self.blocks["act"](self.blocks["mix"](x)) * self.scales[1] + self.extra["shift"]
        return self.lm_head(x) * self.extra["gain"]


model = TinyLM()
print(model)
print(list(model.state_dict().keys()))
print([name for name, _ in model.named_parameters()])
print([name for name, _ in model.named_buffers()])
print(len(list(model.parameters())), model.lm_head.weight is model.wte.weight)
print("mix" in model.blocks, list(model.blocks.keys()), len(model.scales), list(model.extra.keys()))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(formula(p, i))

idx = torch.tensor([[1, 2, 3], [4, 5, 6], [0, 3, 1]])
targets = torch.tensor([[2, 3, 4], [5, 6, 0], [3, 1, 2]])
opt = torch.optim.AdamW(model.parameters(), lr=0.05)
for step in range(4):
    logits = model(idx)
    loss = F.cross_entropy(logits.view(-1, 7), targets.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
print(rounded(model.wte.weight[1]), rounded(model.lm_head.weight[1]))
print(rounded(model.scales[1]), rounded(model.extra["gain"]))

state = model.state_dict()
fresh = TinyLM()
print(fresh.load_state_dict(state))
print(fresh.lm_head.weight is fresh.wte.weight, rounded(fresh.wte.weight[2]))
model.double()
print(model.tril.dtype, model.cache.dtype, model.wte.weight.dtype)
model.cache = None
print([name for name, _ in model.named_buffers()])
try:
    fresh.load_state_dict({**state, "cache": torch.zeros(4)})
except RuntimeError as e:
    print("RuntimeError", str(e).splitlines()[1].strip())
