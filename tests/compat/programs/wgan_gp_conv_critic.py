"""A WGAN-GP training step with a convolutional critic and generator, shrunk to 16×16 images.

Follows aladdinpersson/Machine-Learning-Collection, ML/Pytorch/GANs/4. WGAN-GP (model.py: the
DCGAN-shaped Discriminator of Conv2d(k4, s2, p1) blocks with LeakyReLU(0.2) and the Generator of
ConvTranspose2d + BatchNorm2d + ReLU blocks ending in Tanh; train.py: CRITIC_ITERATIONS critic
steps with loss -(E[critic(real)] - E[critic(fake)]) + LAMBDA_GP·gp, critic.zero_grad(),
loss_critic.backward(retain_graph=True), then one generator step on critic(fake); utils.py's
gradient_penalty: epsilon repeated over C, H, W, torch.autograd.grad(inputs=..., outputs=...,
grad_outputs=ones_like, create_graph=True, retain_graph=True), the gradient viewed as
(N, -1), its norm(2, dim=1), mean((norm - 1)²)).  Changed: the critic's InstanceNorm2d(affine=True)
is the LayerNorm the WGAN-GP paper (Gulrajani et al. 2017, §4) recommends in its place; weights,
noise, images and epsilon come from formulas instead of torch.randn/rand, so both libraries see
the same numbers; sizes are small.

The gradient penalty differentiates the critic's gradient: double backward through Conv2d,
LayerNorm and LeakyReLU."""
import torch
import torch.nn as nn
import torch.optim as optim

LEARNING_RATE = 1e-4
BATCH_SIZE = 4
IMAGE_SIZE = 16
CHANNELS_IMG = 1
Z_DIM = 8
FEATURES_CRITIC = 4
FEATURES_GEN = 4
CRITIC_ITERATIONS = 2
LAMBDA_GP = 10


class Discriminator(nn.Module):
    def __init__(self, channels_img, features_d):
        super(Discriminator, self).__init__()
        self.disc = nn.Sequential(
            # input: N x channels_img x 16 x 16
            nn.Conv2d(channels_img, features_d, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            self._block(features_d, features_d * 2, 4, 2, 1, size=4),
            self._block(features_d * 2, features_d * 4, 4, 2, 1, size=2),
            # After all _block img output is 2x2 (Conv2d below makes into 1x1)
            nn.Conv2d(features_d * 4, 1, kernel_size=2, stride=2, padding=0),
        )

    def _block(self, in_channels, out_channels, kernel_size, stride, padding, size):
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            nn.LayerNorm([out_channels, size, size]),
            nn.LeakyReLU(0.2),
        )

    def forward(self, x):
        return self.disc(x)


class Generator(nn.Module):
    def __init__(self, channels_noise, channels_img, features_g):
        super(Generator, self).__init__()
        self.net = nn.Sequential(
            # Input: N x channels_noise x 1 x 1
            self._block(channels_noise, features_g * 4, 4, 1, 0),  # img: 4x4
            self._block(features_g * 4, features_g * 2, 4, 2, 1),  # img: 8x8
            nn.ConvTranspose2d(features_g * 2, channels_img, kernel_size=4, stride=2, padding=1),
            # Output: N x channels_img x 16 x 16
            nn.Tanh(),
        )

    def _block(self, in_channels, out_channels, kernel_size, stride, padding):
        return nn.Sequential(
            nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        return self.net(x)


def initialize_weights(model, phase, scale):
    # DCGAN's N(0, 0.02) initialisation, drawn from a formula instead
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            values = torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.77 + i + phase)
            p.copy_(values.reshape(p.shape) * (scale if p.dim() > 1 else 0.1) + (1.0 if p.dim() == 1 and i % 2 else 0.0))


def gradient_penalty(critic, real, fake):
    BATCH_SIZE, C, H, W = real.shape
    epsilon = torch.linspace(0.15, 0.85, BATCH_SIZE).reshape(BATCH_SIZE, 1, 1, 1).repeat(1, C, H, W)
    interpolated_images = real * epsilon + fake * (1 - epsilon)

    # Calculate critic scores
    mixed_scores = critic(interpolated_images)

    # Take the gradient of the scores with respect to the images
    gradient = torch.autograd.grad(
        inputs=interpolated_images,
        outputs=mixed_scores,
        grad_outputs=torch.ones_like(mixed_scores),
        create_graph=True,
        retain_graph=True,
    )[0]
    gradient = gradient.view(gradient.shape[0], -1)
    gradient_norm = gradient.norm(2, dim=1)
    gradient_penalty = torch.mean((gradient_norm - 1) ** 2)
    return gradient_penalty, gradient_norm


gen = Generator(Z_DIM, CHANNELS_IMG, FEATURES_GEN)
critic = Discriminator(CHANNELS_IMG, FEATURES_CRITIC)
initialize_weights(gen, 0.0, 0.3)
initialize_weights(critic, 2.0, 0.9)
opt_gen = optim.Adam(gen.parameters(), lr=LEARNING_RATE, betas=(0.0, 0.9))
opt_critic = optim.Adam(critic.parameters(), lr=LEARNING_RATE, betas=(0.0, 0.9))
gen.train()
critic.train()

grid = torch.arange(IMAGE_SIZE, dtype=torch.float32)
real = torch.stack([torch.tanh(torch.sin(grid[:, None] * 0.4 + k) * torch.cos(grid[None, :] * 0.3 - k))
                    for k in range(BATCH_SIZE)]).unsqueeze(1)

for batch_idx in range(2):
    cur_batch_size = real.shape[0]
    # Train Critic: max E[critic(real)] - E[critic(fake)]
    for it in range(CRITIC_ITERATIONS):
        noise = torch.cos(torch.arange(cur_batch_size * Z_DIM, dtype=torch.float32) * 1.3 + it + 5 * batch_idx)
        noise = noise.reshape(cur_batch_size, Z_DIM, 1, 1)
        fake = gen(noise)
        critic_real = critic(real).reshape(-1)
        critic_fake = critic(fake).reshape(-1)
        gp, gradient_norm = gradient_penalty(critic, real, fake)
        loss_critic = -(torch.mean(critic_real) - torch.mean(critic_fake)) + LAMBDA_GP * gp
        critic.zero_grad()
        loss_critic.backward(retain_graph=True)
        conv_grad = critic.disc[0].weight.grad
        opt_critic.step()
        print(f"critic {batch_idx}.{it}: gp {gp.item():.4f}  loss {loss_critic.item():.4f}  "
              f"|grad conv1| {conv_grad.norm().item():.4f}  "
              f"grad norms {[round(v, 3) for v in gradient_norm.tolist()]}")

    # Train Generator: max E[critic(gen_fake)] <-> min -E[critic(gen_fake)]
    gen_fake = critic(fake).reshape(-1)
    loss_gen = -torch.mean(gen_fake)
    gen.zero_grad()
    loss_gen.backward()
    opt_gen.step()
    print(f"Batch {batch_idx} Loss D: {loss_critic:.4f}, loss G: {loss_gen:.4f}")

print("critic last conv weight grad:", [round(v, 4) for v in critic.disc[4].weight.grad.reshape(-1)[:5].tolist()])
print("layer norm weight grad:", [round(v, 4) for v in critic.disc[2][1].weight.grad.reshape(-1)[:5].tolist()])
print("generator first weight grad:", [round(v, 4) for v in gen.net[0][0].weight.grad.reshape(-1)[:5].tolist()])
