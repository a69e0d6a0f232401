"""A two-layer network with a hand-written ReLU Function (ctx.save_for_backward,
ctx.saved_tensors, ctx.needs_input_grad, mark_non_differentiable, once_differentiable)."""
import torch
from torch.autograd.function import once_differentiable


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaleAndArgmax(torch.autograd.Function):
    """Two outputs, one of them integer (non-differentiable); a non-tensor argument."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        idx = x.argmax(dim=1)
        ctx.mark_non_differentiable(idx)
        return x * factor, idx

    @staticmethod
    def backward(ctx, grad_scaled, grad_idx):
        print("needs_input_grad:", ctx.needs_input_grad)
        return grad_scaled * ctx.factor, None


dtype = torch.float64
x = torch.linspace(-1, 1, 64 * 10, dtype=dtype).reshape(64, 10)
y = torch.cos(torch.arange(64 * 3, dtype=dtype)).reshape(64, 3)
w1 = (torch.sin(torch.arange(10 * 20, dtype=dtype)) * 0.3).reshape(10, 20).requires_grad_()
w2 = (torch.cos(torch.arange(20 * 3, dtype=dtype)) * 0.3).reshape(20, 3).requires_grad_()

learning_rate = 1e-3
for t in range(60):
    h = MyReLU.apply(x.mm(w1))
    y_pred, best = ScaleAndArgmax.apply(h.mm(w2), 2.0) if t == 0 else (h.mm(w2) * 2.0, None)
    loss = (y_pred - y).pow(2).sum()
    if t % 10 == 0:
        print(t, f"{loss.item():.8f}")
    if t == 0:
        print(y_pred.grad_fn is not None, best.requires_grad, best.dtype, best[:8])
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()

r = MyReLU.apply(torch.tensor([-1.0, 2.0], requires_grad=True))
print(r, r.grad_fn.name())
inputs = (torch.tensor([0.3, -0.7, 1.2], dtype=torch.double, requires_grad=True),)
print(torch.autograd.gradcheck(MyReLU.apply, inputs, eps=1e-6, atol=1e-4))
