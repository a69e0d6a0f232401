import glassnet as torch
torch.manual_seed(0)
X = torch.randn(100, 3); y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
w = torch.zeros(3, requires_grad=True); b = torch.zeros(1, requires_grad=True)
for i in range(300):
    loss = ((X @ w + b - y) ** 2).mean()
    gw, gb = torch.autograd.grad(loss, [w, b])
    with torch.no_grad():
        w -= 1e-6 * gw; b -= 1e-6 * gb
print(loss.item())
