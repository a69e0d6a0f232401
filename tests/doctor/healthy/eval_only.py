# doctor: expect none
# An evaluation-only script: load a state dict (written here to a temporary file, as a training
# run elsewhere would have), switch to eval mode, report accuracy. Nothing is trained.
import os
import tempfile

import torch
import torch.nn as nn
from sklearn.datasets import load_breast_cancer


def make_model():
    return nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))


torch.manual_seed(0)
path = os.path.join(tempfile.mkdtemp(), "classifier.pt")
torch.save(make_model().state_dict(), path)

data = load_breast_cancer()
X = torch.tensor(data.data, dtype=torch.float32)
X = (X - X.mean(0)) / X.std(0)
y = torch.tensor(data.target)
model = make_model()
model.load_state_dict(torch.load(path))
model.eval()
with torch.no_grad():
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, y)
print(f"loss {loss.item():.3f}, accuracy {(logits.argmax(1) == y).float().mean():.2%}")
