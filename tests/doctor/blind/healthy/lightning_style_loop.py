# blind: expect none
# Written in the style of PyTorch Lightning's LightningModule / Trainer (docs "LightningModule": a
# LitClassifier with training_step, validation_step, configure_optimizers returning an optimizer and
# a scheduler; the Trainer's fit loop calls train()/eval(), zero_grad/backward/step, gradient
# clipping by norm and on_validation_epoch_end), with a minimal hand-written Trainer since Lightning
# itself is not installed. Wine data, an MLP with BatchNorm and Dropout.
import torch
import torch.nn.functional as F
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


class LitClassifier(nn.Module):
    def __init__(self, lr=1e-3):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(13, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(64, 3))
        self.val_outputs = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_outputs.append((F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()))

    def on_validation_epoch_end(self):
        losses, accs = zip(*self.val_outputs)
        print("val_loss", sum(losses) / len(losses), "val_acc", sum(accs) / len(accs))
        self.val_outputs.clear()

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=1e-2)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
        return [optimizer], [scheduler]


class Trainer:
    def __init__(self, max_epochs, gradient_clip_val=None):
        self.max_epochs, self.gradient_clip_val = max_epochs, gradient_clip_val

    def fit(self, module, train_dataloaders, val_dataloaders):
        [optimizer], [scheduler] = module.configure_optimizers()
        for epoch in range(self.max_epochs):
            module.train()
            for batch_idx, batch in enumerate(train_dataloaders):
                loss = module.training_step(batch, batch_idx)
                optimizer.zero_grad()
                loss.backward()
                if self.gradient_clip_val:
                    torch.nn.utils.clip_grad_norm_(module.parameters(), self.gradient_clip_val)
                optimizer.step()
            scheduler.step()
            module.eval()
            with torch.no_grad():
                for batch_idx, batch in enumerate(val_dataloaders):
                    module.validation_step(batch, batch_idx)
            module.on_validation_epoch_end()


torch.manual_seed(42)
X, y = load_wine(return_X_y=True)
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_tr)
tr = torch.utils.data.TensorDataset(torch.tensor(scaler.transform(X_tr), dtype=torch.float32), torch.tensor(y_tr))
va = torch.utils.data.TensorDataset(torch.tensor(scaler.transform(X_va), dtype=torch.float32), torch.tensor(y_va))
train_loader = torch.utils.data.DataLoader(tr, batch_size=16, shuffle=True, drop_last=True)
val_loader = torch.utils.data.DataLoader(va, batch_size=64)
Trainer(max_epochs=30, gradient_clip_val=1.0).fit(LitClassifier(), train_loader, val_loader)
