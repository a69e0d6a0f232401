# blind: expect none
# Source: Stack Overflow "Why do we need to call zero_grad() in PyTorch?" (q 48001598, mirrored at
# devpeace.com/python/48001598) and Karpathy's list of common mistakes ("you forgot to .zero_grad()
# before .backward()"). A wine classifier whose loop calls backward() and step() only.
import torch
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler
from torch import nn

torch.manual_seed(0)
X, y = load_wine(return_X_y=True)
X = torch.tensor(StandardScaler().fit_transform(X), dtype=torch.float32)
y = torch.tensor(y)
model = nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 3))
loss_function = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16, shuffle=True)
for epoch in range(30):
    for xb, yb in loader:
        y_pred = model(xb)
        loss = loss_function(y_pred, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        print("epoch", epoch, "loss", loss.item())
