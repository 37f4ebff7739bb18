"""Extra snntorch 0.9.4 parity cases in the schema of shared/reference/snntorch_lif.json.

The shared reference covers Leaky subtract/zero and one recurrent case; these cases cover the
remaining policies: sigmoid and straight-through surrogates, reset "none", Leaky zero with delay,
Synaptic (second order) with subtract and zero, RLeaky with zero (which clears the whole update),
and learnable per-neuron beta (values outside [0, 1] included: the clamp passes no gradient) and
threshold, whose gradients are written as grad_beta / grad_threshold.

Run with the interpreter that sees snntorch and Debian's torch (cmake/install_deps.sh --bench):
    .venv-bench/bin/python tests/assets/lif/make_snntorch_extra.py tests/assets/lif/snntorch_extra.json
"""
import json
import sys

import numpy as np
import snntorch as snn
import torch
import torch.nn.functional as F
from snntorch import surrogate

torch.set_default_dtype(torch.float64)


def surrogate_fn(name, param):
    if name == "fast_sigmoid":
        return surrogate.fast_sigmoid(slope=param)
    if name == "atan":
        return surrogate.atan(alpha=param)
    if name == "sigmoid":
        return surrogate.sigmoid(slope=param)
    return surrogate.straight_through_estimator()


class Float64Recurrent(torch.nn.Module):
    """RLeaky's recurrent map with float64 weights: snntorch's spikes are float32 tensors."""

    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(w)

    def forward(self, spk):
        return F.linear(spk.to(self.weight.dtype), self.weight)


def run_case(rng, spec):
    T, N = spec["T"], spec["N"]
    kind = spec["kind"]
    beta = torch.tensor(spec["beta"]) if isinstance(spec["beta"], list) else spec["beta"]
    threshold = (torch.tensor(spec["threshold"]) if isinstance(spec["threshold"], list)
                 else spec["threshold"])
    common = dict(beta=beta, threshold=threshold,
                  spike_grad=surrogate_fn(spec["surrogate"], spec.get("surrogate_param")),
                  reset_mechanism=spec["reset"], reset_delay=spec["reset_delay"],
                  learn_beta=spec.get("learn_beta", False),
                  learn_threshold=spec.get("learn_threshold", False))
    low, high = spec.pop("input_range")
    x_np = rng.uniform(low, high, size=(T, N))
    if kind == "recurrent":
        n_exc = spec["n_exc"]
        w_np = np.abs(rng.normal(0.0, 0.3, size=(N, N)))
        w_np[:, n_exc:] *= -2.0  # inhibitory presynaptic columns
        np.fill_diagonal(w_np, 0.0)
        lif = snn.RLeaky(linear_features=N, **common)
        lif.recurrent = Float64Recurrent(torch.tensor(w_np))
    elif kind == "synaptic":
        lif = snn.Synaptic(alpha=spec["alpha"], **common)
    else:
        lif = snn.Leaky(**common)
    x = torch.tensor(x_np, requires_grad=True)
    w_spk = torch.tensor(rng.normal(size=(T, N)))
    w_mem = torch.tensor(rng.normal(size=(T, N)))

    spikes, mems = [], []
    if kind == "recurrent":
        spk, mem = lif.init_rleaky()
        for t in range(T):
            spk, mem = lif(x[t], spk, mem)
            spikes.append(spk)
            mems.append(mem)
    elif kind == "synaptic":
        syn, mem = lif.init_synaptic()
        for t in range(T):
            spk, syn, mem = lif(x[t], syn, mem)
            spikes.append(spk)
            mems.append(mem)
    else:
        mem = lif.init_leaky()
        for t in range(T):
            spk, mem = lif(x[t], mem)
            spikes.append(spk)
            mems.append(mem)
    S, M = torch.stack(spikes), torch.stack(mems)
    loss = (w_spk * S).sum() + (w_mem * M).sum()
    loss.backward()

    case = dict(spec)
    case["input"] = x_np.tolist()
    if kind == "recurrent":
        case["w_rec"] = w_np.tolist()
    case["loss_weight_spk"] = w_spk.tolist()
    case["loss_weight_mem"] = w_mem.tolist()
    case["spk"] = S.detach().double().tolist()
    case["mem"] = M.detach().tolist()
    case["grad_input"] = x.grad.tolist()
    if kind == "recurrent":
        case["grad_w_rec"] = lif.recurrent.weight.grad.tolist()
    if spec.get("learn_beta"):
        case["grad_beta"] = lif.beta.grad.tolist()
    if spec.get("learn_threshold"):
        case["grad_threshold"] = lif.threshold.grad.tolist()
    n_spikes = int(S.sum().item())
    assert 0 < n_spikes < T * N, f"case {spec} has {n_spikes} spikes: choose another input range"
    return case


# Thresholds are exactly representable in float32 (see parity.hpp on float32 spike tensors).
SPECS = [
    dict(kind="leaky", T=30, N=6, beta=[0.5, 0.9, 1.2, -0.1, 0.95, 0.7], threshold=1.0,
         reset="subtract", reset_delay=False, surrogate="sigmoid", surrogate_param=5.0,
         learn_beta=True, input_range=(-0.2, 0.9)),
    dict(kind="leaky", T=30, N=6, beta=0.8, threshold=[0.75, 1.0, 1.25, 0.5, 1.5, 1.0],
         reset="none", reset_delay=True, surrogate="straight_through", learn_threshold=True,
         input_range=(-0.3, 0.4)),
    dict(kind="leaky", T=30, N=6, beta=[0.6, 0.8, 0.9, 0.95, 0.7, 0.5], threshold=1.0,
         reset="zero", reset_delay=True, surrogate="fast_sigmoid", surrogate_param=10.0,
         learn_beta=True, learn_threshold=True, input_range=(-0.1, 0.6)),
    dict(kind="synaptic", T=30, N=6, alpha=0.8, beta=0.7, threshold=1.0, reset="subtract",
         reset_delay=True, surrogate="atan", surrogate_param=2.0, input_range=(-0.1, 0.3)),
    dict(kind="synaptic", T=30, N=6, alpha=0.6, beta=0.9, threshold=1.0, reset="zero",
         reset_delay=False, surrogate="fast_sigmoid", surrogate_param=25.0,
         input_range=(-0.1, 0.3)),
    dict(kind="recurrent", T=40, N=10, n_exc=8, beta=0.8, threshold=1.0, reset="zero",
         reset_delay=True, surrogate="sigmoid", surrogate_param=25.0, input_range=(-0.1, 0.45)),
    dict(kind="recurrent", T=40, N=10, n_exc=8, beta=[0.8] * 10, threshold=[1.0] * 10,
         reset="subtract", reset_delay=False, surrogate="atan", surrogate_param=2.0,
         learn_beta=True, learn_threshold=True, input_range=(-0.1, 0.45)),
]


def main():
    rng = np.random.default_rng(20261124)
    doc = {"source": f"snntorch {snn.__version__} (Leaky, Synaptic, RLeaky), float64, zero "
                     f"initial state; made by tests/assets/lif/make_snntorch_extra.py",
           "notes": "same schema as shared/reference/snntorch_lif.json; grad_beta and "
                    "grad_threshold are d loss / d parameter for learnable per-neuron parameters",
           "cases": [run_case(rng, dict(spec)) for spec in SPECS]}
    with open(sys.argv[1], "w") as f:
        json.dump(doc, f)
        f.write("\n")


if __name__ == "__main__":
    main()
