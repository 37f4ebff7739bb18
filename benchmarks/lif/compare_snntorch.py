"""One training step of the recurrent E/I LIF student (N = 512, T = 500 steps, B = 32, 400 inputs,
float32) against the same network built from snntorch on PyTorch CPU (the releases in the bench
venv: cmake/install_deps.sh --bench; the versions are read at run time and recorded), each in its
own process, with the same thread count on both sides.

The step, on both sides: 400 Poisson input spike trains at 10 Hz -> input Linear (W_in >= 0,
bias) -> RLeaky (fast_sigmoid k = 25, subtract reset with delay, beta = exp(-1/20) for the 410 E
and exp(-1/10) for the 102 I neurons, threshold 1, no refractory period) with a Dale-signed,
row-balanced recurrent matrix of spectral radius 0.2 -> rates filtered with tau = 20 ms and
averaged per 10 ms bin -> linear readout of the E neurons (8 outputs); loss = MSE to a random
target + homeostatic band (5-20 Hz, per neuron and per population, weight 0.01) + L2 on W_in and
W_rec (1e-4 / 2); full BPTT; SGD (lr 1e-3); Dale projection. snntorch's time is the best of 3
steps (the first pays PyTorch's warm-up; 0.5-1 s each on a 2-core machine with PyTorch 2.x).

Also our time and tape memory against T (120 ... 1000), with the whole tape, with exact chunked
recomputation (50 steps) and with truncated BPTT (50 steps), each case in its own process; and
the step's roofline (its dense work, the kernel's rate against the core's measured FMA peak) and
the spike rate at which the event-driven recurrent input stops paying (bench_kernels.cpp).
"""
import json
import os

from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results

SNNTORCH_SETUP = """
import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate

torch.set_num_threads({threads})
torch.manual_seed(0)
N, NE, F, B, T, D, L = 512, 410, 400, 32, {steps}, 8, 10
dt = 1e-3
beta = torch.cat([torch.full((NE,), float(np.exp(-1 / 20))),
                  torch.full((N - NE,), float(np.exp(-1 / 10)))])
w_in = (torch.randn(N, F).abs() * (4.0 / (F * np.sqrt(2 / np.pi)))).requires_grad_()
bias = torch.zeros(N, requires_grad=True)
W = torch.randn(N, N).abs()
W.fill_diagonal_(0.0)
W[:, NE:] *= -W[:, :NE].sum(1, keepdim=True) / W[:, NE:].sum(1, keepdim=True)  # balanced rows
W *= 0.2 / float(np.abs(np.linalg.eigvals(W.numpy().astype(np.float64))).max())
lif = snn.RLeaky(beta=beta, linear_features=N, spike_grad=surrogate.fast_sigmoid(slope=25),
                 reset_mechanism="subtract")
with torch.no_grad():
    lif.recurrent.weight.copy_(W)
    lif.recurrent.bias.zero_()
lif.recurrent.bias.requires_grad_(False)
w_out = (torch.randn(D, NE) / (10 * np.sqrt(NE))).requires_grad_()
b_out = torch.zeros(D, requires_grad=True)
x = (torch.rand(T, B, F) < 0.01).float()
target = torch.randn(B, T // L, D)
sign = torch.cat([torch.ones(NE), -torch.ones(N - NE)])
lam = float(np.exp(-1 / 20))
gain = (1 - lam) / dt
params = [w_in, bias, lif.recurrent.weight, w_out, b_out]


def band(r, lo=5.0, hi=20.0):
    return torch.relu(lo - r) ** 2 + torch.relu(r - hi) ** 2


def step():
    spk, mem = lif.init_rleaky()
    f = torch.zeros(B, N)
    acc = torch.zeros(B, N)
    count = torch.zeros(N)
    bins = []
    for t in range(T):
        spk, mem = lif(torch.nn.functional.linear(x[t], w_in, bias), spk, mem)
        f = lam * f + gain * spk
        acc = acc + f / L
        count = count + spk.sum(0)
        if (t + 1) % L == 0:
            bins.append(acc)
            acc = torch.zeros(B, N)
    y = torch.stack(bins, 1)[..., :NE] @ w_out.T + b_out
    rates = count / (B * T * dt)
    loss = (((y - target) ** 2).mean()
            + 0.01 / N * band(rates).sum()
            + 0.01 * (band(rates[:NE].mean()) + band(rates[NE:].mean()))
            + 0.5e-4 * ((w_in ** 2).sum() + (lif.recurrent.weight ** 2).sum()))
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 1e-3 * p.grad
            p.grad = None
        w_in.clamp_(min=0.0)
        w = lif.recurrent.weight
        w.copy_(torch.where(sign > 0, w.clamp(min=0.0), w.clamp(max=0.0)))
"""


def ours_name(steps, chunk=0, truncate=0):
    return f"^BM_train_step/N:512/T:{steps}/B:32/F:400/chunk:{chunk}/truncate:{truncate}/"


args = parse_args(__doc__)
steps = 100 if args.quick else 500
thread_counts = [2] if args.quick else [2, 1]
cases = []
for threads in thread_counts:
    ours_s, ours_mib, counters = run_ours(args.binary, ours_name(500), min_time=1.0,
                                          threads=threads)
    theirs_s, theirs_mib = run_theirs(SNNTORCH_SETUP.format(threads=threads, steps=steps),
                                      "step()", repeat=1 if args.quick else 3, threads=threads)
    theirs_s *= 500 / steps  # --quick times a shorter sequence; the step is linear in T
    cases.append({"case": f"train step N=512 T=500 B=32 F=400 float32, {threads} thread(s)",
                  "ours_s": ours_s, "theirs_s": theirs_s, "speedup": theirs_s / ours_s,
                  "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib,
                  "memory_ratio": ours_mib / theirs_mib, "threads": threads,
                  "ours_neuron_steps_per_s": counters["neuron_steps_per_s"],
                  "theirs_neuron_steps_per_s": 512 * 500 * 32 / theirs_s,
                  "ours_rate_hz": counters["rate_hz"], "ours_tape_mib": counters["tape_mib"]})
write_results(args.out, "lif_train_step", "snntorch (PyTorch CPU)", cases,
              competitor_versions("snntorch", "torch"))

scaling = []
for t in ([120, 250] if args.quick else [120, 250, 500, 1000]):
    for chunk, truncate, label in [(0, 0, "whole tape"), (50, 0, "chunked 50, exact"),
                                   (50, 1, "truncated 50")]:
        s, mib, counters = run_ours(args.binary, ours_name(t, chunk, truncate), min_time=0.5,
                                    threads=2)
        scaling.append({"T": t, "bptt": label, "ours_s": s, "peak_mib": mib,
                        "tape_mib": counters["tape_mib"],
                        "neuron_steps_per_s": counters["neuron_steps_per_s"]})
        print(f"T={t:5d} {label:18s}: {s * 1e3:8.1f} ms  peak {mib:6.1f} MiB  "
              f"tape {counters['tape_mib']:6.1f} MiB  "
              f"{counters['neuron_steps_per_s']:.3g} neuron-steps/s")
# The roofline of the step (one thread): its only dense work is the backward's product
# dL/dI_t · W, 2·B·T·N² FLOP; the rest is event-driven or streams the tape. And the crossover of
# the event-driven recurrent input: the spikes per step at which adding one column of W per spike
# costs as much as the dense product of the same rows.
peak = run_ours(args.binary, "^BM_fma_peak/", min_time=0.2, threads=1)[2]
product_s, _, product = run_ours(args.binary, "^BM_recurrent_product/", min_time=0.2, threads=1)
dense_row_s = product_s / product["rows"]
columns = []
for active in [1, 5, 10, 25, 50, 100]:
    s, _, c = run_ours(args.binary, f"^BM_active_columns/active:{active}/", min_time=0.2,
                       threads=1)
    columns.append({"active": active, "row_s": s / c["rows"]})
per_column_s = max(c["row_s"] / c["active"] for c in columns if c["active"] >= 10)
crossover = dense_row_s / per_column_s
dense_gflop = 2 * 32 * 500 * 512 ** 2 / 1e9
one_thread = next(c for c in cases if c["threads"] == 1) if not args.quick else cases[0]
roofline = {
    "dense_gflop_per_step": dense_gflop,
    "peak_gflop_per_s": peak["flop_per_s"] / 1e9,
    "vector_bytes": peak["vector_bytes"],
    "product_gflop_per_s": product["flop_per_s"] / 1e9,
    "product_fraction_of_peak": product["flop_per_s"] / peak["flop_per_s"],
    "dense_floor_s": dense_gflop * 1e9 / product["flop_per_s"],
    "step_s": one_thread["ours_s"],
    "step_threads": one_thread["threads"],
    "dense_share_of_step": dense_gflop * 1e9 / product["flop_per_s"] / one_thread["ours_s"],
    "active_columns": columns,
    "crossover_active_per_step": crossover,
    "crossover_rate_hz": crossover / 512 * 1000.0,
}
print(f"roofline: dense {dense_gflop:.2f} GFLOP/step at {roofline['product_gflop_per_s']:.0f} "
      f"GFLOP/s = {roofline['product_fraction_of_peak']:.0%} of the measured peak "
      f"{roofline['peak_gflop_per_s']:.0f} GFLOP/s ({int(peak['vector_bytes']) * 8}-bit FMA): "
      f"floor {roofline['dense_floor_s'] * 1e3:.1f} ms of the "
      f"{one_thread['ours_s'] * 1e3:.1f} ms step ({roofline['dense_share_of_step']:.0%}); "
      f"event-driven recurrent input pays below {crossover:.0f} spikes of 512 per step "
      f"({roofline['crossover_rate_hz']:.0f} Hz at 1 ms)")

with open(args.out) as f:
    doc = json.load(f)
doc["ours_against_T"] = scaling
doc["roofline"] = roofline
with open(args.out + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
os.replace(args.out + ".tmp", args.out)
