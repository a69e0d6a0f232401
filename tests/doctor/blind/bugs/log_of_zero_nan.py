# blind: expect nan
# Source: the forum thread "How to solve the loss becoming NaN because of torch.log()" (Nemotron-CC
# copy on huggingface.co): a hand-written cross-entropy, -(y*log(p) + (1-y)*log(1-p)), on sigmoid
# outputs that saturate to exactly 0 or 1, so log(0) = -inf and the loss turns NaN.
import torch
from sklearn.datasets import make_blobs
from torch import nn

torch.manual_seed(0)
X, y = make_blobs(800, centers=[[-6, -6], [6, 6]], cluster_std=1.0, random_state=0)
X = torch.tensor(X * 10, dtype=torch.float32)
y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(200):
    optimizer.zero_grad()
    p = torch.sigmoid(model(X))
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(step, loss.item())
