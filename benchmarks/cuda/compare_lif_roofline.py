"""Fused LIF forward+backward on the GPU against (1) the HBM roofline, from the device copy
bandwidth measured by the same binary in the same run, and (2) the same network in PyTorch on the
same GPU (torch_lif.py, eager, as snntorch runs). Targets: >= 50% of the roofline and
>= 10x PyTorch. Needs a CUDA GPU and a PyTorch with CUDA:

    python compare_lif_roofline.py --binary build/bench/benchmarks/cuda/bench_cuda \
        --out lif_roofline.json [--python /path/to/python-with-torch] [--quick]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmarks/: compare_common, when run directly

import compare_common as cc  # noqa: E402
BYTES_PER_NEURON_STEP = 22.0  # what our fused kernels move; the estimate is ~21
CASES = [(64, 1000, 4096), (64, 1000, 500)]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--binary", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true", help="one short case (smoke run)")
    p.add_argument("--python", default=sys.executable, help="interpreter whose torch sees CUDA")
    a = p.parse_args()

    _, _, copy = cc.run_ours(a.binary, "BM_DeviceCopy/", min_time=0.5)
    if copy.get("error_occurred"):  # no GPU here: record why, so `cmake --build --target bench` passes
        reason = copy.get("error_message", "the GPU benchmarks did not run")
        with open(a.out + ".tmp", "w") as f:
            json.dump({"comparison": "fused LIF forward+backward (GPU)", "skipped": reason,
                       "machine": cc.machine(), "cases": []}, f, indent=1)
        os.replace(a.out + ".tmp", a.out)
        print(f"fused LIF forward+backward (GPU): skipped ({reason})")
        return
    copy_bandwidth = copy["copy_bytes_per_s"]
    roofline = copy_bandwidth / BYTES_PER_NEURON_STEP  # neuron-steps/s at full copy bandwidth
    cases = []
    for batch, steps, neurons in CASES[:1] if a.quick else CASES:
        ours_s, ours_peak, c = cc.run_ours(
            a.binary, f"BM_FusedLifForwardBackward/{batch}/{steps}/{neurons}/", min_time=1.0)
        out, theirs_peak = cc._run_measured(
            [a.python, os.path.join(HERE, "torch_lif.py"), "--batch", str(batch), "--steps",
             str(steps), "--neurons", str(neurons)])
        torch = json.loads(out.strip().splitlines()[-1])
        cases.append({
            "case": f"B={batch} T={steps} N={neurons} fp32",
            "ours_s": ours_s, "theirs_s": torch["seconds"],
            "speedup": torch["seconds"] / ours_s,
            "ours_peak_mib": ours_peak, "theirs_peak_mib": theirs_peak,
            "ours_device_mib": c["device_mib"], "theirs_device_mib": torch["device_peak_mib"],
            "neuron_steps_per_s": c["neuron_steps_per_s"],
            "torch_neuron_steps_per_s": torch["neuron_steps_per_s"],
            "copy_bandwidth_gb_s": copy_bandwidth / 1e9,
            "bytes_per_neuron_step": BYTES_PER_NEURON_STEP,
            "roofline_neuron_steps_per_s": roofline,
            "roofline_fraction": c["neuron_steps_per_s"] / roofline,
            "roofline_fraction_at_21_bytes": c["neuron_steps_per_s"] * 21.0 / copy_bandwidth,
            "spike_density": c["spike_density"],
            "torch": torch["torch"], "gpu": torch["gpu"],
        })
        print(f"{cases[-1]['case']}: {c['neuron_steps_per_s']:.3g} neuron-steps/s = "
              f"{100 * cases[-1]['roofline_fraction']:.0f}% of the copy roofline "
              f"({copy_bandwidth / 1e9:.0f} GB/s / {BYTES_PER_NEURON_STEP:.0f} B)")
    cc.write_results(a.out, "fused LIF forward+backward (GPU)", "PyTorch eager (same GPU)", cases)


if __name__ == "__main__":
    main()
