# doctor: expect augmentation-target-mismatch
# Bug: a segmentation dataset augments the image and its mask with separate random draws (the
# classic "transform(image), transform(mask)"): a sample's mask is flipped or rotated while its
# image is not, so the network is taught to paint shapes where there are none.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
SIZE = 24


def make_scene():
    """An image of one or two off-centre rectangles on a noisy background, and its mask."""
    mask = torch.zeros(SIZE, SIZE, dtype=torch.long)
    for _ in range(int(torch.randint(1, 3, (1,)))):
        h, w = torch.randint(4, 10, (2,)).tolist()
        top, left = int(torch.randint(0, SIZE - h, (1,))), int(torch.randint(0, SIZE // 2, (1,)))
        mask[top:top + h, left:left + w] = 1
    image = mask.float().unsqueeze(0) * 0.8 + 0.1 + 0.1 * torch.randn(1, SIZE, SIZE)
    return image, mask


def random_flip_rotate(t):
    """Random horizontal flip and rotation by a multiple of 90°, drawn at each call."""
    if torch.rand(1) < 0.5:
        t = torch.flip(t, [-1])
    return torch.rot90(t, int(torch.randint(4, (1,))), [-2, -1])


class Shapes(Dataset):
    def __init__(self, n):
        self.scenes = [make_scene() for _ in range(n)]

    def __len__(self):
        return len(self.scenes)

    def __getitem__(self, i):
        image, mask = self.scenes[i]
        return random_flip_rotate(image), random_flip_rotate(mask)    # two different draws


loader = DataLoader(Shapes(320), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                      nn.ReLU(), nn.Conv2d(8, 2, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(6):
    for image, mask in loader:
        loss = F.cross_entropy(model(image), mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
