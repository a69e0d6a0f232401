# doctor: expect none
# WGAN-GP the way aladdinpersson/Machine-Learning-Collection's GANs/4. WGAN-GP/train.py writes it,
# shrunk to the 8×8 digits: CRITIC_ITERATIONS critic steps per generator step, the gradient penalty
# through torch.autograd.grad(create_graph=True), critic.zero_grad() / gen.zero_grad() on the
# modules, loss_critic.backward(retain_graph=True). The critic's last bias gets no gradient from
# its own loss (E[critic(real)] − E[critic(fake)] cancels a constant), only from the generator's.
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits

torch.manual_seed(0)
digits = torch.tensor(load_digits().images / 8.0 - 1.0, dtype=torch.float32).unsqueeze(1)
loader = torch.utils.data.DataLoader(digits[:512], batch_size=64, shuffle=True)
Z_DIM, CRITIC_ITERATIONS, LAMBDA_GP = 8, 3, 10

critic = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 4, 2, 1),
                       nn.LeakyReLU(0.2), nn.Conv2d(32, 1, 2, 1, 0))
gen = nn.Sequential(nn.ConvTranspose2d(Z_DIM, 32, 4, 1, 0), nn.BatchNorm2d(32), nn.ReLU(),
                    nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Tanh())
opt_gen = optim.Adam(gen.parameters(), lr=1e-3, betas=(0.0, 0.9))
opt_critic = optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))


def gradient_penalty(critic, real, fake):
    BATCH_SIZE, C, H, W = real.shape
    alpha = torch.rand((BATCH_SIZE, 1, 1, 1)).repeat(1, C, H, W)
    interpolated_images = real * alpha + fake * (1 - alpha)
    mixed_scores = critic(interpolated_images)
    gradient = torch.autograd.grad(inputs=interpolated_images, outputs=mixed_scores,
                                   grad_outputs=torch.ones_like(mixed_scores),
                                   create_graph=True, retain_graph=True)[0]
    gradient = gradient.view(gradient.shape[0], -1)
    gradient_norm = gradient.norm(2, dim=1)
    return torch.mean((gradient_norm - 1) ** 2)


gen.train()
critic.train()
for epoch in range(3):
    for batch_idx, real in enumerate(loader):
        cur_batch_size = real.shape[0]
        for _ in range(CRITIC_ITERATIONS):
            noise = torch.randn(cur_batch_size, Z_DIM, 1, 1)
            fake = gen(noise)
            critic_real = critic(real).reshape(-1)
            critic_fake = critic(fake).reshape(-1)
            gp = gradient_penalty(critic, real, fake)
            loss_critic = -(torch.mean(critic_real) - torch.mean(critic_fake)) + LAMBDA_GP * gp
            critic.zero_grad()
            loss_critic.backward(retain_graph=True)
            opt_critic.step()
        gen_fake = critic(fake).reshape(-1)
        loss_gen = -torch.mean(gen_fake)
        gen.zero_grad()
        loss_gen.backward()
        opt_gen.step()
    print(f"epoch {epoch}: loss D {loss_critic.item():.4f}, loss G {loss_gen.item():.4f}")
