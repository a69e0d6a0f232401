"""nn.Embedding, F.one_hot, nn.LayerNorm, nn.BatchNorm1d (train and eval), nn.Identity,
nn.Flatten, softmax / log_softmax on every dim, with weights copied in."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_grad_enabled(True)
emb = nn.Embedding(6, 3)
print(emb, emb.weight.shape)
with torch.no_grad():
    emb.weight.copy_(torch.arange(18, dtype=torch.float32).reshape(6, 3) / 10)
idx = torch.tensor([[0, 2, 5], [1, 1, 4]])
out = emb(idx)
print(out.shape)
print(out[1])
out.sum().backward()
print(emb.weight.grad)
pad = nn.Embedding(4, 2, padding_idx=0)
print(pad.weight[0], pad)
print(F.one_hot(torch.tensor([0, 3, 1]), num_classes=4))
print(F.one_hot(torch.arange(0, 5) % 3))

x = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) / 7
ln = nn.LayerNorm(4).double()
print(ln)
y = ln(x)
print([f"{v:.4f}" for v in y[0].flatten().tolist()])
print([f"{v:.5f}" for v in y.mean(-1).flatten().tolist()])
ln2 = nn.LayerNorm([3, 4], elementwise_affine=False).double()
print([f"{v:.5f}" for v in ln2(x)[1, 0].tolist()])

bn = nn.BatchNorm1d(3).double()
print(bn)
batch = torch.tensor([[1.0, 2.0, 3.0], [3.0, 6.0, 0.0], [5.0, 1.0, 3.0]], dtype=torch.float64)
print([f"{v:.5f}" for v in bn(batch)[0].tolist()])
print([f"{v:.5f}" for v in bn.running_mean.tolist()], [f"{v:.5f}" for v in bn.running_var.tolist()])
print(bn.num_batches_tracked)
bn.eval()
print([f"{v:.5f}" for v in bn(batch)[0].tolist()])
print(list(bn.state_dict()))
seq = torch.linspace(0, 1, 12, dtype=torch.float64).reshape(2, 3, 2)
bn.train()
print([f"{v:.5f}" for v in bn(seq)[0, :, 1].tolist()])

print(nn.Identity(54, unused="x")(torch.tensor([1, 2])))
print(nn.Flatten()(torch.zeros(2, 3, 4)).shape, nn.Flatten(0, 1)(torch.zeros(2, 3, 4)).shape)
z = torch.tensor([[[1.0, 2.0], [0.5, -1.0]], [[0.0, 0.0], [3.0, 1.0]]], dtype=torch.float64)
for dim in (0, 1, 2, -1):
    print(dim, [f"{v:.5f}" for v in F.softmax(z, dim=dim).flatten().tolist()])
    print(dim, [f"{v:.5f}" for v in F.log_softmax(z, dim=dim).flatten().tolist()])
print([f"{v:.5f}" for v in nn.Softmax(dim=1)(z).sum(1).flatten().tolist()])
