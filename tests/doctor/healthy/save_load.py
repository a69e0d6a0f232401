# doctor: expect none
# Save a model and its optimizer state, load them into fresh objects and check they agree; no
# training step is taken.
import io

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
buffer.seek(0)
checkpoint = torch.load(buffer)
clone = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
clone.load_state_dict(checkpoint["model"])
optimizer2 = torch.optim.SGD(clone.parameters(), lr=0.1, momentum=0.9)
optimizer2.load_state_dict(checkpoint["optimizer"])
x = torch.randn(5, 8)
with torch.no_grad():
    assert torch.allclose(model(x), clone(x))
print("restored", sum(p.numel() for p in clone.parameters()), "parameters")
