"""ebmkit in ten lines: NumPy arrays, then a PyTorch training step (docs: getting started)."""
import numpy as np
import torch
import ebmkit
import ebmkit.torch

ctx = ebmkit.Context("cpu", seed=1)                           # NumPy arrays live on the CPU
x = np.random.default_rng(0).standard_normal((256, 10), dtype=np.float32)
print("logsumexp", ebmkit.logsumexp(ctx, x)[:3])              # NumPy in, NumPy out

energy = ebmkit.torch.MlpEnergy([784, 256, 256, 10], "elu", seed=1)  # JEM's energy, -LSE f(x)
opt = torch.optim.Adamax(energy.parameters(), lr=1e-3)
data = torch.rand(64, 784) * 2 - 1
samples = ebmkit.torch.langevin(energy, torch.rand_like(data) * 2 - 1, steps=20)
loss = energy(data).mean() - energy(samples).mean()           # contrastive divergence's surrogate
loss.backward()
opt.step()
print(f"ebmkit {ebmkit.__version__}: loss {loss.item():.4f}")
