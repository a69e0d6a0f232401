# doctor: expect none
# A small encoder-decoder segmenting blobs (BCEWithLogitsLoss on (N, 1, H, W) float masks), in the
# style of segmentation tutorials: random flips applied to the image and its mask together by
# stacking them along the channel axis before flipping (one draw for both). Non-square images.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
H, W = 16, 32
yy, xx = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing="ij")


def blobs(n):
    """Images of one or two Gaussian blobs on noise; the mask is where a blob is brighter than 0.5."""
    images = torch.zeros(n, 1, H, W)
    for image in images:
        for _ in range(int(torch.randint(1, 3, (1,)))):
            cy, cx = torch.rand(1) * H, torch.rand(1) * W * 0.6
            image[0] += torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 2.5 ** 2))
    masks = (images > 0.5).float()
    return images + 0.05 * torch.randn_like(images), masks


def augment(image, mask):
    both = torch.cat([image, mask], 1)
    if torch.rand(1) < 0.5:
        both = both.flip(-1)
    if torch.rand(1) < 0.5:
        both = both.flip(-2)
    return both[:, :1], both[:, 1:]


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.mid = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.Conv2d(16 + 8, 1, 3, padding=1)

    def forward(self, x):
        d = self.down(x)
        m = F.interpolate(self.mid(F.max_pool2d(d, 2)), scale_factor=2)
        return self.up(torch.cat([m, d], 1))


images, masks = blobs(256)
model = TinyUNet()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.BCEWithLogitsLoss()
for epoch in range(8):
    order = torch.randperm(len(images))
    for i in range(0, len(images), 32):
        x, y = augment(images[order[i:i + 32]], masks[order[i:i + 32]])
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
