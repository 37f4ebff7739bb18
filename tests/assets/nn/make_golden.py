"""Golden values for tests/nn from PyTorch (float64), an implementation independent of ours.

Run with an interpreter that has torch (cmake/install_deps.sh --bench makes .venv-bench):
    .venv-bench/bin/python tests/assets/nn/make_golden.py
Writes torch_reference.json beside this script. Conventions mapped to ours:
- nn.Linear / GRU weights are stored (out, in) by PyTorch and (in, out) by us: we store W.T.
- GRU: PyTorch weight_ih_l0 is (3H, I) with gate blocks (r, z, n); ours w_x = weight_ih_l0.T.
- Causal conv: PyTorch Conv1d with left zero-padding (K-1)*d; its kernel index k multiplies
  x[t - (K-1-k)*d], our tap j multiplies x[t - j*d], so our tap j = kernel[:, :, K-1-j].T.
- Sequences are given batch-first here ([B][T][C]); the C++ test converts to time-major.
"""
import json
import os

import torch

torch.manual_seed(20251124)
torch.set_default_dtype(torch.float64)
doc = {"source": f"torch {torch.__version__}, float64; see make_golden.py"}


def tolist(t):
    return t.detach().tolist()


# GELU (exact and tanh), sigmoid, tanh on a grid including large magnitudes.
x = torch.tensor([-12.0, -5.0, -2.5, -1.0, -0.3, -1e-3, 0.0, 1e-3, 0.4, 1.0, 2.2, 6.0, 30.0],
                 requires_grad=True)
acts = {}
for name, f in [("gelu", torch.nn.GELU()), ("gelu_tanh", torch.nn.GELU(approximate="tanh")),
                ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)]:
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    acts[name] = {"y": tolist(y), "dy": tolist(g)}
doc["activations"] = {"x": tolist(x), **acts}

# LayerNorm over 5 features of 4 rows with random affine parameters.
ln = torch.nn.LayerNorm(5)
with torch.no_grad():
    ln.weight.copy_(torch.randn(5))
    ln.bias.copy_(torch.randn(5))
xl = torch.randn(4, 5, requires_grad=True)
yl = ln(xl)
wl = torch.randn(4, 5)
(yl * wl).sum().backward()
doc["layer_norm"] = {"x": tolist(xl), "gain": tolist(ln.weight), "shift": tolist(ln.bias),
                     "y": tolist(yl), "upstream": tolist(wl), "dx": tolist(xl.grad),
                     "dgain": tolist(ln.weight.grad), "dshift": tolist(ln.bias.grad)}

# Causal dilated Conv1d: B=2, T=7, Cin=3, Cout=2, K=3, d=2.
B, T, Cin, Cout, K, d = 2, 7, 3, 2, 3, 2
conv = torch.nn.Conv1d(Cin, Cout, K, dilation=d)
xc = torch.randn(B, T, Cin, requires_grad=True)
yc = conv(torch.nn.functional.pad(xc.transpose(1, 2), ((K - 1) * d, 0))).transpose(1, 2)
wc = torch.randn(B, T, Cout)
(yc * wc).sum().backward()
taps = [conv.weight[:, :, K - 1 - j].T for j in range(K)]  # our tap j: (Cin, Cout)
doc["causal_conv"] = {"batch": B, "steps": T, "in": Cin, "out": Cout, "kernel": K, "dilation": d,
                      "x": tolist(xc), "weight": tolist(torch.cat(taps, 0)), "bias": tolist(conv.bias),
                      "y": tolist(yc), "upstream": tolist(wc), "dx": tolist(xc.grad),
                      "dweight": tolist(torch.cat([conv.weight.grad[:, :, K - 1 - j].T
                                                   for j in range(K)], 0)),
                      "dbias": tolist(conv.bias.grad)}

# GRU: B=3, T=5, I=4, H=3 with an initial state; upstream gradient on every output.
B, T, I, H = 3, 5, 4, 3
gru = torch.nn.GRU(I, H, batch_first=True)
xg = torch.randn(B, T, I, requires_grad=True)
h0 = torch.randn(1, B, H, requires_grad=True)
yg, _ = gru(xg, h0)
wg = torch.randn(B, T, H)
(yg * wg).sum().backward()
doc["gru"] = {"batch": B, "steps": T, "in": I, "hidden": H, "x": tolist(xg), "h0": tolist(h0[0]),
              "w_x": tolist(gru.weight_ih_l0.T), "b_x": tolist(gru.bias_ih_l0),
              "w_h": tolist(gru.weight_hh_l0.T), "b_h": tolist(gru.bias_hh_l0),
              "y": tolist(yg), "upstream": tolist(wg), "dx": tolist(xg.grad),
              "dh0": tolist(h0.grad[0]), "dw_x": tolist(gru.weight_ih_l0.grad.T),
              "db_x": tolist(gru.bias_ih_l0.grad), "dw_h": tolist(gru.weight_hh_l0.grad.T),
              "db_h": tolist(gru.bias_hh_l0.grad)}

# AdamW: 12 parameters in two groups (decay on the first 8 only), 6 steps with gradients given
# and a learning rate that changes every step (our schedule drives it).
p0 = torch.randn(12)
grads = [torch.randn(12) * (0.1 + s) for s in range(6)]
lrs = [1e-3, 3e-3, 2e-2, 1e-2, 5e-3, 1e-4]
pa = p0[:8].clone().requires_grad_(True)
pb = p0[8:].clone().requires_grad_(True)
opt = torch.optim.AdamW([{"params": [pa], "weight_decay": 0.05},
                         {"params": [pb], "weight_decay": 0.0}],
                        betas=(0.85, 0.995), eps=1e-7, foreach=False)
traj = []
for g, lr in zip(grads, lrs):
    pa.grad = g[:8].clone()
    pb.grad = g[8:].clone()
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
    traj.append(tolist(torch.cat([pa, pb])))
doc["adamw"] = {"beta1": 0.85, "beta2": 0.995, "eps": 1e-7, "weight_decay": 0.05,
                "decay_mask": [1] * 8 + [0] * 4, "p0": tolist(p0),
                "grads": [tolist(g) for g in grads], "lrs": lrs, "params": traj}

# Gradient clipping.
gs = [torch.randn(3, 4, requires_grad=True), torch.randn(5, requires_grad=True)]
for t in gs:
    t.grad = torch.randn_like(t) * 3
before = [tolist(t.grad.flatten()) for t in gs]
norm = torch.nn.utils.clip_grad_norm_(gs, 1.5)
doc["clip"] = {"max_norm": 1.5, "grads": sum(before, []), "norm": float(norm),
               "clipped": sum([tolist(t.grad.flatten()) for t in gs], [])}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_reference.json")
with open(out, "w") as f:
    json.dump(doc, f)
print("wrote", out)
