# doctor: expect frozen
# Bug: the "backbone" is frozen as if it were pretrained, but nothing was loaded into it: its
# convolutions keep their random initialisation (requires_grad=False, left out of the
# optimizer) and only the small head learns, on random features.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 1, 12, 12)
y = (X[:, 0, :6].mean((1, 2)) > X[:, 0, 6:].mean((1, 2))).long()
backbone = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten())
model = nn.Sequential(backbone, nn.Linear(32, 2))
for p in backbone.parameters():
    p.requires_grad = False
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
for step in range(200):
    idx = torch.randint(0, 512, (64,))
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
