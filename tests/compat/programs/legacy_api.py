"""Pre-0.4 spellings still found in tutorials and course notebooks: legacy tensor types
(sizes, data, conversion, isinstance), Variable, x.type(), volatile-free inference."""
import warnings

import torch
from torch.autograd import Variable

warnings.simplefilter("ignore")

# sizes: torch leaves the memory uninitialised, so fill before printing
w = torch.FloatTensor(2, 3).fill_(0.5)
print(w, w.shape, w.type(), w.dtype)
print(torch.FloatTensor(torch.Size([1, 2])).zero_())
print(torch.FloatTensor([[1, 2], [3, 4]]), torch.FloatTensor().shape)
print(torch.LongTensor([1.7, -2.2, 3]), torch.LongTensor(2).zero_().dtype)
print(torch.DoubleTensor([0.1, 0.2]), torch.IntTensor([7, 8]), torch.BoolTensor([1, 0, 2]))

x = torch.arange(6).reshape(2, 3)
print(x.type(), x.type(torch.FloatTensor), x.type("torch.DoubleTensor").dtype)
print(x.float().type(), x.bool().type(), x.int().type(), x.type(torch.float64).type())
print(isinstance(x, torch.LongTensor), isinstance(x, torch.FloatTensor), isinstance(x.float(), torch.FloatTensor))

# Variable: a leaf that shares the data
data = torch.tensor([1.0, 2.0, 3.0])
v = Variable(data, requires_grad=True)
loss = (v ** 2).sum()
loss.backward()
print(v.requires_grad, v.is_leaf, data.requires_grad, v.grad)
print(Variable(data).requires_grad, Variable(torch.ones(2)).sum())

# a tiny linear regression in the old style
torch.manual_seed(0)
X = Variable(torch.FloatTensor([[1.0], [2.0], [3.0], [4.0]]))
Y = Variable(torch.FloatTensor([[3.0], [5.0], [7.0], [9.0]]))
W = Variable(torch.FloatTensor([[0.5]]), requires_grad=True)
b = Variable(torch.FloatTensor([0.0]), requires_grad=True)
for step in range(200):
    err = ((X.mm(W) + b - Y) ** 2).mean()
    err.backward()
    W.data -= 0.05 * W.grad.data
    b.data -= 0.05 * b.grad.data
    W.grad.data.zero_()
    b.grad.data.zero_()
print(f"{err.item():.4f}", W.data.round(decimals=3), b.data.round(decimals=3))
print(torch.is_tensor(v), type(v.data).__name__)
