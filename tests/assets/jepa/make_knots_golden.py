"""Golden SIGReg quadrature tables as the official LeJEPA code builds them (float32 tensors on
the CPU, PyTorch's own linspace and exp), for tests/jepa/test_sigreg.cpp.

    .venv-bench/bin/python tests/assets/jepa/make_knots_golden.py

The construction follows rbalestr-lab/lejepa EppsPulley.__init__: t = linspace(0, t_max, K,
float32); weights = full(K, 2*dt, float32) with dt at both ends; phi = exp(-t^2/2) in float32;
weights = weights * phi. Also records torch's float32 exp on random arguments, which is not
always the correctly rounded value. Writes knots_torch.json beside this script.
"""
import json
import os

import numpy as np
import torch

doc = {"source": f"torch {torch.__version__} CPU float32 (AVX2 kernels)",
       "tables": []}
for knots, t_max in [(17, 3.0), (33, 4.0), (9, 2.0), (65, 5.0), (17, 2.9), (21, 3.3), (40, 1.7),
                     (2, 3.0), (5, 0.7)]:
    t = torch.linspace(0, t_max, knots, dtype=torch.float32)
    dt = t_max / (knots - 1)
    weights = torch.full((knots,), 2 * dt, dtype=torch.float32)
    weights[[0, -1]] = dt
    phi = t.square().mul_(0.5).neg_().exp_()
    doc["tables"].append({"knots": knots, "t_max": t_max, "t": t.double().tolist(),
                          "phi": phi.double().tolist(), "weight": (weights * phi).double().tolist()})

rng = np.random.default_rng(7)
x = np.concatenate([rng.uniform(-20, 0, 1500), rng.uniform(-100, 80, 500)]).astype(np.float32)
doc["exp_x"] = x.astype(np.float64).tolist()
doc["exp_y"] = torch.from_numpy(x).exp().double().tolist()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "knots_torch.json"), "w") as f:
    json.dump(doc, f)
