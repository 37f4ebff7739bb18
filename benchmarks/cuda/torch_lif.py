"""The network of BM_FusedLifForwardBackward in PyTorch on the same GPU: a feed-forward
population of first-order LIF neurons with snntorch 0.9.4 semantics (Leaky, subtractive reset
with reset delay, fast-sigmoid surrogate with slope 25, beta 0.95, threshold 1), forward over T
steps then backward of sum(spikes * dL/dS) into the currents, beta and threshold, in eager mode as
snntorch runs it. Prints one JSON line: seconds per forward+backward, neuron-steps/s and the peak
device memory.

    python torch_lif.py --batch 64 --steps 1000 --neurons 4096 [--repeat 5] [--compile]
"""
import argparse
import json

import torch


class FastSigmoidSpike(torch.autograd.Function):
    """snntorch.surrogate.fast_sigmoid: Heaviside forward, 1 / (k|x| + 1)^2 backward."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (ctx.slope * x.abs() + 1.0) ** 2, None


def lif_step(mem, current, beta, threshold):
    # snntorch Leaky, reset_mechanism="subtract", reset_delay=True: the reset is the detached
    # threshold crossing of the previous membrane.
    reset = (mem - threshold > 0).to(mem.dtype).detach()
    mem = beta.clamp(0, 1) * mem + current - reset * threshold
    return mem, FastSigmoidSpike.apply(mem - threshold, 25.0)


def forward_backward(step, currents, beta, threshold, d_spikes):
    batch, steps, neurons = currents.shape
    mem = torch.zeros(batch, neurons, device=currents.device, dtype=currents.dtype)
    spikes = []
    for t in range(steps):
        mem, spk = step(mem, currents[:, t], beta, threshold)
        spikes.append(spk)
    loss = (torch.stack(spikes, 1) * d_spikes).sum()
    loss.backward()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--neurons", type=int, default=4096)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--compile", action="store_true", help="torch.compile the step (PyTorch >= 2)")
    a = p.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("torch_lif.py: PyTorch sees no CUDA device")
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(2026)
    shape = (a.batch, a.steps, a.neurons)
    # The same input distribution as the C++ benchmark: currents U(-0.05, 0.15), dL/dS U(-1, 1).
    currents = (torch.rand(shape, device=dev, generator=g) * 0.2 - 0.05).requires_grad_()
    d_spikes = torch.rand(shape, device=dev, generator=g) * 2.0 - 1.0
    beta = torch.full((a.neurons,), 0.95, device=dev, requires_grad=True)
    threshold = torch.ones(a.neurons, device=dev, requires_grad=True)
    step = torch.compile(lif_step) if a.compile else lif_step

    forward_backward(step, currents, beta, threshold, d_spikes)  # warm-up (and compilation)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    best = float("inf")
    for _ in range(a.repeat):
        for t in (currents, beta, threshold):
            t.grad = None
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        forward_backward(step, currents, beta, threshold, d_spikes)
        stop.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(stop) * 1e-3)
    neuron_steps = a.batch * a.steps * a.neurons
    print(json.dumps({"seconds": best, "neuron_steps_per_s": neuron_steps / best,
                      "device_peak_mib": torch.cuda.max_memory_allocated() / 2**20,
                      "torch": torch.__version__, "gpu": torch.cuda.get_device_name()}))


if __name__ == "__main__":
    main()
