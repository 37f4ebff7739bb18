"""snntorch 0.9.4 parity over the whole LIF configuration space, in the schema of
shared/reference/snntorch_lif.json.

One case for every combination of
    neuron      snn.Leaky, snn.RLeaky (linear all-to-all recurrence), snn.Synaptic
    reset       subtract, zero, none
    reset_delay True, False
    surrogate   fast_sigmoid, atan, sigmoid, straight_through
    threshold   1.0, 0.5 (exact in float32) and 0.8 (not)
with learnable per-neuron beta (one value outside [0, 1] on each side: the clamp passes no
gradient) and a learnable scalar threshold, so every case records mem, spk, grad_input,
grad_beta, grad_threshold and, for RLeaky, grad_w_rec. The document's "about" lists the snntorch
quirks the cases reproduce or deliberately avoid; tests/lif/test_parity_grid.cpp reads it.

Run with an interpreter that has snntorch 0.9.4 and Debian's torch 1.13 (the bench venv of
cmake/install_deps.sh --bench times the current releases instead, and this script then exits 3):
    python tests/assets/lif/make_snntorch_grid.py tests/assets/lif/snntorch_grid.json
The output is a deterministic function of the snntorch/torch versions; the lif test
"parity grid generator reproduces the committed grid" reruns it and compares.
"""
import itertools
import json
import sys

try:
    import numpy as np
    import snntorch as snn
    import torch
    import torch.nn.functional as F
    from snntorch import surrogate
except ImportError as error:  # exit status 3: the C++ test skips visibly
    print(f"make_snntorch_grid.py: {error}", file=sys.stderr)
    sys.exit(3)
if snn.__version__ != "0.9.4":  # the parity reference; the benchmarks time the current release
    print(f"make_snntorch_grid.py: the committed grid is snntorch 0.9.4's, this interpreter has "
          f"{snn.__version__}", file=sys.stderr)
    sys.exit(3)

torch.set_default_dtype(torch.float64)

KINDS = ("leaky", "recurrent", "synaptic")
RESETS = ("subtract", "zero", "none")
DELAYS = (True, False)
SURROGATES = (("fast_sigmoid", 10.0), ("atan", 2.0), ("sigmoid", 5.0), ("straight_through", None))
THRESHOLDS = (1.0, 0.5, 0.8)
T, N, N_EXC = 16, 4, 3
BETA = [0.55, 0.9, 1.05, -0.05]  # clamped to [0, 1] by snntorch: 1.05 -> 1, -0.05 -> 0
ALPHA = 0.7  # Synaptic only
# Per-neuron input ranges, in units of the threshold: neurons 0 and 3 are driven hard enough to
# spike on consecutive steps and, without reset delay, to stay above threshold after a subtractive
# reset (R = 1 with S = 1 or S = 0: the D = S - R paths); neurons 1 and 2 integrate slowly. The
# synaptic current accumulates about 1 / (1 - alpha) of its input; recurrence adds its own drive.
INPUT_LOW = [0.2, -0.2, -0.3, -0.5]
INPUT_HIGH = [2.4, 0.7, 0.5, 2.2]
INPUT_SCALE = {"leaky": 1.0, "recurrent": 0.8, "synaptic": 0.35}
SEED = 20261204

ABOUT = """\
Made by tests/assets/lif/make_snntorch_grid.py with snntorch {version} in float64 (torch default
dtype), zero initial state, batch 1. Quirks of snntorch, and what the reference does about them:
(1) A threshold given as a python float is stored as a 0-dim float64 tensor (not float32), but
torch's type promotion never lets a 0-dim tensor widen a dimensioned one of the same category:
reset * threshold (subtract reset) and do_reset * threshold (reset_delay=False) are float32
products of the float32 reset/spike tensors, so the reset subtracts float32(theta)
(0.800000011920929 for 0.8) while the spike test mem - threshold uses theta in float64; the
backward forms the same products in float32 (dL/dS from the same-step reset, dL/dtheta summed
over neurons in float32). For thresholds exact in float32 (1.0, 0.5) only dL/dtheta changes.
Not reproduced (a float32 artefact, not LIF semantics): the generator passes the threshold as a
1-element tensor, which snntorch documents as equivalent and which keeps every product in
float64. 'scalar_threshold_quirk' holds the case named there run with a python-float threshold:
a reset subtracting float32(theta) reproduces its membranes to rounding, and its gradients to
float32 rounding (C++ test: parity grid accounts for the scalar threshold quirk).
(2) Spike tensors are float32 ((x > 0).float()), so every gradient reaching a spike (from the
loss, from the same-step reset D = S - R, from the recurrent map) is rounded to float32 and
summed in float32. Reproduced (parity.hpp: Float32SpikeGradient), since it is what snntorch
users get and it shows at float32 rounding level in every gradient.
(3) The sigmoid surrogate multiplies the float32 spike gradient by the slope in float32 before the
float64 factor. Reproduced (parity.hpp: NamedSurrogate::backward).
(4) RLeaky's zero reset evaluates the recurrent map twice (base - R * base), so the float32 spike
gradient arrives as two separately rounded parts. Not reproduced (an evaluation artefact): the
generator's float64 recurrent map returns the same output for the same spike tensor, so the graph
holds one product per step, as the forward's values already are (snntorch_extra.json keeps the
double evaluation, checked to float32 rounding).
(5) Semantics reproduced exactly (reset.hpp): R = Theta(U_prev - theta) detached; Leaky's zero
reset clears only the previous membrane, RLeaky's and Synaptic's the whole update (Synaptic keeps
its synaptic current); with reset_delay=False the same-step reset uses D = S - R, not detached;
reset "none" ignores reset_delay; beta and alpha are clamped to [0, 1] (no gradient outside);
the spike is strictly U > theta.
Arrays are [T][N]; w_rec is [post][pre]; loss = sum(loss_weight_spk * spk) +
sum(loss_weight_mem * mem); grad_threshold is the gradient of the one shared threshold."""


def surrogate_fn(name, param):
    if name == "fast_sigmoid":
        return surrogate.fast_sigmoid(slope=param)
    if name == "atan":
        return surrogate.atan(alpha=param)
    if name == "sigmoid":
        return surrogate.sigmoid(slope=param)
    return surrogate.straight_through_estimator()


class Float64Recurrent(torch.nn.Module):
    """RLeaky's recurrent map in float64 without bias. One product per spike tensor: RLeaky's zero
    reset calls the map twice on the same spikes (quirk 4 in ABOUT)."""

    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(w)
        self._last = None

    def forward(self, spk):
        if self._last is None or self._last[0] is not spk:
            self._last = (spk, F.linear(spk.to(self.weight.dtype), self.weight))
        return self._last[1]


def rounded(values, decimals=6):
    return np.round(values, decimals)  # short decimal inputs keep the document small


def make_inputs(index, kind, threshold):
    rng = np.random.default_rng([SEED, index])
    scale = INPUT_SCALE[kind] * threshold
    x = rounded(rng.uniform(np.multiply(INPUT_LOW, scale), np.multiply(INPUT_HIGH, scale),
                            size=(T, N)))
    w_spk = rounded(rng.normal(size=(T, N)), 3)
    w_mem = rounded(rng.normal(size=(T, N)), 3)
    w_rec = None
    if kind == "recurrent":
        w_rec = np.abs(rng.normal(0.0, 0.3 * threshold, size=(N, N)))
        w_rec[:, N_EXC:] *= -2.0  # inhibitory presynaptic columns (Dale's principle)
        np.fill_diagonal(w_rec, 0.0)
        w_rec = rounded(w_rec)
    return x, w_spk, w_mem, w_rec


def simulate(spec, x_np, w_spk_np, w_mem_np, w_rec_np, threshold_as_tensor=True):
    kind = spec["kind"]
    threshold = spec["threshold"]
    common = dict(beta=torch.tensor(BETA),
                  threshold=torch.tensor([threshold]) if threshold_as_tensor else threshold,
                  spike_grad=surrogate_fn(spec["surrogate"], spec.get("surrogate_param")),
                  reset_mechanism=spec["reset"], reset_delay=spec["reset_delay"],
                  learn_beta=True, learn_threshold=True)
    if kind == "recurrent":
        lif = snn.RLeaky(linear_features=N, **common)
        lif.recurrent = Float64Recurrent(torch.tensor(w_rec_np))
    elif kind == "synaptic":
        lif = snn.Synaptic(alpha=ALPHA, **common)
    else:
        lif = snn.Leaky(**common)
    x = torch.tensor(x_np, requires_grad=True)
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
    loss = (torch.tensor(w_spk_np) * S).sum() + (torch.tensor(w_mem_np) * M).sum()
    loss.backward()
    out = {"spk": S.detach().double().tolist(), "mem": M.detach().tolist(),
           "grad_input": x.grad.tolist(), "grad_beta": lif.beta.grad.tolist(),
           "grad_threshold": lif.threshold.grad.sum().item()}
    if kind == "recurrent":
        out["grad_w_rec"] = lif.recurrent.weight.grad.tolist()
    return out


def make_case(index, kind, reset, delay, surrogate_name, param, threshold):
    spec = {"name": f"{kind} {reset} delay {'on' if delay else 'off'} {surrogate_name} "
                    f"threshold {threshold}",
            "kind": kind, "T": T, "N": N, "beta": BETA, "threshold": threshold,
            "reset": reset, "reset_delay": delay, "surrogate": surrogate_name,
            "learn_beta": True, "learn_threshold": True}
    if param is not None:
        spec["surrogate_param"] = param
    if kind == "recurrent":
        spec["n_exc"] = N_EXC
    if kind == "synaptic":
        spec["alpha"] = ALPHA
    x, w_spk, w_mem, w_rec = make_inputs(index, kind, threshold)
    case = dict(spec)
    case["input"] = x.tolist()
    if kind == "recurrent":
        case["w_rec"] = w_rec.tolist()
    case["loss_weight_spk"] = w_spk.tolist()
    case["loss_weight_mem"] = w_mem.tolist()
    case.update(simulate(spec, x, w_spk, w_mem, w_rec))
    spk = np.array(case["spk"])
    n_spikes = int(spk.sum())
    assert 0 < n_spikes < T * N, f"{spec['name']}: {n_spikes} spikes, choose another input range"
    return case


def reset_events(case):
    """(steps with R = 1 and S = 1, steps with R = 1 and S = 0); R_t = Theta(U_{t-1} - theta)."""
    spk, mem = np.array(case["spk"]), np.array(case["mem"])
    r = np.vstack([np.zeros((1, N)), mem[:-1]]) > case["threshold"]
    return int((r & (spk == 1)).sum()), int((r & (spk == 0)).sum())


def check_coverage(cases):
    """Every reset path that snntorch can take is taken somewhere in the grid. A zero reset
    without delay leaves U = 0 after a spike, so R is never 1 there; RLeaky's and Synaptic's
    gated zero reset clears the whole update, so R = 1 never comes with S = 1."""
    for kind, reset, delay in itertools.product(KINDS, ("subtract", "zero"), DELAYS):
        group = [c for c in cases if (c["kind"], c["reset"], c["reset_delay"]) == (kind, reset, delay)]
        both, reset_only = map(sum, zip(*(reset_events(c) for c in group)))
        if reset == "zero" and not delay:
            continue
        assert reset_only > 0, f"{kind} {reset} delay {delay}: no step with R = 1 and S = 0"
        if not (reset == "zero" and kind != "leaky"):
            assert both > 0, f"{kind} {reset} delay {delay}: no step with R = 1 and S = 1"


def scalar_threshold_quirk(case):
    """The same case with the threshold passed as a python float (quirk 1 in ABOUT)."""
    spec = {k: case[k] for k in ("kind", "threshold", "reset", "reset_delay", "surrogate",
                                 "surrogate_param")}
    run = simulate(spec, np.array(case["input"]), np.array(case["loss_weight_spk"]),
                   np.array(case["loss_weight_mem"]), None, threshold_as_tensor=False)
    return {"case": case["name"], "mem": run["mem"], "grad_input": run["grad_input"]}


def make_document():
    cases = []
    grid = itertools.product(KINDS, RESETS, DELAYS, SURROGATES, THRESHOLDS)
    for index, (kind, reset, delay, (name, param), threshold) in enumerate(grid):
        cases.append(make_case(index, kind, reset, delay, name, param, threshold))
    check_coverage(cases)
    quirk_case = next(c for c in cases if c["name"] == "leaky subtract delay off atan threshold 0.8")
    return {"source": f"snntorch {snn.__version__} (Leaky, RLeaky, Synaptic), float64, zero "
                      f"initial state; made by tests/assets/lif/make_snntorch_grid.py",
            "notes": "same schema as shared/reference/snntorch_lif.json; every case has learnable "
                     "per-neuron beta and a learnable scalar threshold",
            "about": ABOUT.format(version=snn.__version__),
            "scalar_threshold_quirk": scalar_threshold_quirk(quirk_case),
            "cases": cases}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_snntorch_grid.py OUT.json")
    with open(sys.argv[1], "w") as f:
        json.dump(make_document(), f)
        f.write("\n")


if __name__ == "__main__":
    main()
