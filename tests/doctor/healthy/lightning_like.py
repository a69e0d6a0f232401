# doctor: expect none
# A Lightning-shaped module driven by a hand-written Trainer: training_step returns the loss,
# configure_optimizers returns AdamW and a cosine schedule, validation runs in eval mode.
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import make_classification
from torch.utils.data import DataLoader, TensorDataset, random_split


class LitClassifier(nn.Module):
    def __init__(self, n_in, n_classes, lr=3e-3):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Linear(64, n_classes))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.cross_entropy(self(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        return {"val_loss": F.cross_entropy(logits, y), "val_acc": (logits.argmax(1) == y).float().mean()}

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.lr)
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)


class Trainer:
    def __init__(self, max_epochs):
        self.max_epochs = max_epochs

    def fit(self, module, train_loader, val_loader):
        optimizer, scheduler = module.configure_optimizers()
        for epoch in range(self.max_epochs):
            module.train()
            for i, batch in enumerate(train_loader):
                loss = module.training_step(batch, i)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            scheduler.step()
            module.eval()
            with torch.no_grad():
                outs = [module.validation_step(b, i) for i, b in enumerate(val_loader)]
            acc = torch.stack([o["val_acc"] for o in outs]).mean()
            print(f"epoch {epoch}: val_acc {acc:.3f}")


X, y = make_classification(n_samples=1200, n_features=12, n_informative=6, n_classes=3,
                           random_state=0)
data = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
torch.manual_seed(0)
train_set, val_set = random_split(data, [1000, 200])
Trainer(max_epochs=20).fit(LitClassifier(12, 3), DataLoader(train_set, batch_size=50, shuffle=True),
                           DataLoader(val_set, batch_size=100))
