"""A diffusion-U-Net-style residual block (GroupNorm → SiLU → conv, twice, with a 1x1 skip, as
diffusers' ResnetBlock2D writes it) feeding an ESPCN super-resolution head (pytorch/examples'
super_resolution: convs to C·r² channels, then nn.PixelShuffle(r)), with an InstanceNorm2d
front end; trained a few steps with Adam on a fixed image pair; losses, gradient norms and the
output printed."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResnetBlock(nn.Module):
    def __init__(self, in_channels, out_channels, groups=4, eps=1e-6):
        super().__init__()
        self.norm1 = nn.GroupNorm(num_groups=groups, num_channels=in_channels, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.norm2 = nn.GroupNorm(num_groups=groups, num_channels=out_channels, eps=eps, affine=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1) \
            if in_channels != out_channels else None

    def forward(self, input_tensor):
        hidden_states = self.conv1(self.nonlinearity(self.norm1(input_tensor)))
        hidden_states = self.conv2(self.nonlinearity(self.norm2(hidden_states)))
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return input_tensor + hidden_states


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.inorm = nn.InstanceNorm2d(1, affine=True)
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.block = ResnetBlock(8, 12)
        self.conv4 = nn.Conv2d(12, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        x = F.relu(self.conv1(self.inorm(x)))
        x = self.block(x)
        return torch.sigmoid(self.pixel_shuffle(self.conv4(x)))


torch.manual_seed(0)
model = Net(upscale_factor=2)
print(model)
print(list(model.state_dict().keys())[:6])
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        if p.dim() > 1:
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.3 + 0.1 * i)).reshape(p.shape) * 0.2)
        else:
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.7 + 0.1 * i)) * 0.1 + (i % 2))
k = torch.arange(3 * 1 * 12 * 12, dtype=torch.float32).reshape(3, 1, 12, 12)
hr = 0.5 + 0.4 * torch.sin(k * 0.05)
lr_img = F.pixel_unshuffle(hr, 2).mean(dim=1, keepdim=True)   # a 2x-downsampled input
print(lr_img.shape, hr.shape)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.MSELoss()
for epoch in range(4):
    optimizer.zero_grad()
    out = model(lr_img)
    loss = criterion(out, hr)
    loss.backward()
    optimizer.step()
    print(epoch, out.shape, f"{loss.item():.5f}", f"{model.block.norm1.weight.grad.norm().item():.4f}",
          f"{model.inorm.bias.grad.abs().sum().item():.4f}", f"{model.conv4.weight.grad.norm().item():.4f}")
with torch.no_grad():
    sr = model(lr_img)
    print(sr[0, 0, :2, :4])
    print(F.group_norm(sr, 1).std().item() > 0.9, F.pixel_unshuffle(sr, 2).shape)
    psnr = 10 * torch.log10(1 / F.mse_loss(sr, hr))
    print(f"psnr {psnr.item():.3f}")
