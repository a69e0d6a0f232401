# blind: expect augmentation-target-mismatch
# Source: the forum/Stack Overflow "random flip of image and mask are not the same" threads
# (torchvision.transforms.RandomHorizontalFlip applied to image and mask in two calls, two draws):
# a tiny segmentation net on synthetic blobs whose masks get their own random flips.
import torch
from torch import nn

torch.manual_seed(0)
H = W = 16


def make_sample():
    img = torch.zeros(1, H, W)
    cy, cx = torch.randint(3, 9, (2,))
    img[0, cy:cy + 5, cx:cx + 4] = 1.0
    mask = (img[0] > 0.5).long()
    return img + 0.1 * torch.randn(1, H, W), mask


def random_hflip(t):
    return t.flip(-1) if torch.rand(()) < 0.5 else t


def random_vflip(t):
    return t.flip(-2) if torch.rand(()) < 0.5 else t


class SegDataset(torch.utils.data.Dataset):
    def __init__(self, n):
        self.samples = [make_sample() for _ in range(n)]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        img, mask = self.samples[i]
        img = random_vflip(random_hflip(img))
        mask = random_vflip(random_hflip(mask))
        return img, mask


net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                    nn.Conv2d(16, 2, 1))
loader = torch.utils.data.DataLoader(SegDataset(512), batch_size=16, shuffle=True)
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(4):
    for img, mask in loader:
        optimizer.zero_grad()
        loss = criterion(net(img), mask)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
