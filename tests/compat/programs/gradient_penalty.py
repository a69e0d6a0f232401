"""A WGAN-GP critic step (Gulrajani et al.): the gradient penalty needs the critic's gradient with
respect to its input as a differentiable tensor (torch.autograd.grad with create_graph=True), then
the penalty's own gradient with respect to the weights.  Weights and data from formulas."""
import torch
from torch import nn

critic = nn.Sequential(nn.Linear(3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
with torch.no_grad():
    for i, p in enumerate(critic.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + i).reshape(p.shape) * 0.5)
optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
lambda_gp = 10.0

real = torch.cos(torch.arange(24, dtype=torch.float32) * 0.37).reshape(8, 3)
for step in range(3):
    fake = torch.sin(torch.arange(24, dtype=torch.float32) * 0.53 + step).reshape(8, 3) * 1.5
    alpha = torch.linspace(0.05, 0.95, 8).unsqueeze(1)
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d_interpolates = critic(interpolates)
    gradients = torch.autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                    grad_outputs=torch.ones_like(d_interpolates),
                                    create_graph=True, retain_graph=True)[0]
    print("gradients require grad:", gradients.requires_grad, tuple(gradients.shape))
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    wasserstein = critic(fake).mean() - critic(real).mean()
    loss = wasserstein + lambda_gp * gradient_penalty
    optimizer.zero_grad()
    loss.backward()
    grad_norm = torch.cat([p.grad.reshape(-1) for p in critic.parameters()]).norm()
    optimizer.step()
    print(f"step {step}: penalty {gradient_penalty.item():.4f}  wasserstein {wasserstein.item():.4f}  "
          f"loss {loss.item():.4f}  |grad| {grad_norm.item():.4f}")

print("last layer weight grad:", [round(v, 4) for v in critic[4].weight.grad.reshape(-1)[:6].tolist()])
print("gradient norms per sample:", [round(v, 4) for v in gradients.norm(2, dim=1).tolist()])
