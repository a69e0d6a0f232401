# blind: expect frozen
# Source: the transfer-learning recipe (pytorch tutorials "Finetuning Torchvision Models";
# theneuralbase.com "Replacing the classification head") copied without its pretrained weights:
# every backbone parameter gets requires_grad=False, only the new head trains, and the backbone is
# still its random initialisation (the forum's "fine-tuning gives ~random accuracy" threads).
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
y = torch.tensor(digits.target)
backbone = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
# backbone.load_state_dict(torch.load("pretrained.pt"))   # never run
for param in backbone.parameters():
    param.requires_grad = False
head = nn.Linear(64, 10)
model = nn.Sequential(backbone, head)
optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64, shuffle=True)
for epoch in range(8):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
