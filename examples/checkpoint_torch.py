"""An ebmkit checkpoint in PyTorch and back: the MLP energy's layers are nn.Linear's."""
import os
import tempfile

import numpy as np
import torch
import ebmkit

folder = tempfile.mkdtemp()
model = ebmkit.MlpEnergy([784, 64, 10], "elu")                 # or MlpEnergy.load("jem.safetensors")
model.save(os.path.join(folder, "energy.safetensors"))

tensors, metadata = ebmkit.load_safetensors(os.path.join(folder, "energy.safetensors"))
net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ELU(), torch.nn.Linear(64, 10))
# layers.<l>.weight / .bias are nn.Linear's [out, in] and [out]; Sequential numbers them 0, 2.
net.load_state_dict({f"{2 * int(k.split('.')[1])}.{k.split('.')[2]}": torch.from_numpy(v) for k, v in tensors.items()})

x = torch.rand(8, 784) * 2 - 1
e_torch = -torch.logsumexp(net(x), dim=1)                     # E(x) = -LSE f(x)
e_ebmkit = ebmkit.energy(ebmkit.Context("cpu"), model, x.numpy())
assert np.allclose(e_torch.detach().numpy(), e_ebmkit, atol=1e-5), (e_torch, e_ebmkit)

# And back: PyTorch's parameters under ebmkit's names, with the model's metadata.
state = {f"layers.{int(k.split('.')[0]) // 2}.{k.split('.')[1]}": v.detach().numpy() for k, v in net.state_dict().items()}
ebmkit.save_safetensors(os.path.join(folder, "from-torch.safetensors"), state, metadata)
again = ebmkit.MlpEnergy.load(os.path.join(folder, "from-torch.safetensors"))
print("E(x) from PyTorch and ebmkit agree; widths", again.widths)
