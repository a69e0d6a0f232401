"""PyTorch's "Double Backward with Custom Functions" tutorial: a custom Function whose backward is
written with differentiable operations supports create_graph=True, whether it saves an input
(Square) or its output (Exp); gradcheck and gradgradcheck confirm both.  Inputs from a formula."""
import torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * 2 * x


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return result * grad_out


x = (torch.arange(9, dtype=torch.double).reshape(3, 3) / 7 - 0.5).requires_grad_()
print("Square gradcheck:", torch.autograd.gradcheck(Square.apply, x))
print("Square gradgradcheck:", torch.autograd.gradgradcheck(Square.apply, x))
print("Exp gradcheck:", torch.autograd.gradcheck(Exp.apply, x))
print("Exp gradgradcheck:", torch.autograd.gradgradcheck(Exp.apply, x))

y = Exp.apply(Square.apply(x)).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), x)
print("first:", [round(v, 6) for v in g.reshape(-1).tolist()])
print("second:", [round(v, 6) for v in h.reshape(-1).tolist()])
