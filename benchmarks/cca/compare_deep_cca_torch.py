"""One Deep CCA loss step (forward and backward to both views, batch 1024, 32 latents, ridge
1e-3 scale-relative) against the same loss in PyTorch (float64 autograd through eigh and
svdvals), on the same data, one thread on each side. The loss value and gradient norms are
checked against each other."""
import tempfile

from compare_common import competitor_versions, parse_args, run_ours, write_results
from cca_bench_common import run_capped, use_views, write_views

args = parse_args(__doc__)
m, d = 1024, 32
with tempfile.TemporaryDirectory() as tmp:
    x_path, y_path = write_views(tmp, m, d, d, seed=3)
    use_views(x_path, y_path)
    ours_s, ours_mib, counters = run_ours(args.binary, f"^BM_deep_cca_step/{m}/{d}/", threads=1)
    code = f"""
        import json, time
        import numpy as np
        import torch
        torch.set_num_threads(1)
        H1 = torch.tensor(np.load({x_path!r})); H2 = torch.tensor(np.load({y_path!r}))
        def inv_sqrt(s):
            w, v = torch.linalg.eigh(s)
            return (v / torch.sqrt(w)) @ v.T
        def step(h1, h2, eps=1e-3):
            h1 = h1.clone().requires_grad_(True); h2 = h2.clone().requires_grad_(True)
            m = h1.shape[0]
            a, b = h1 - h1.mean(0), h2 - h2.mean(0)
            s11, s22, s12 = a.T @ a / (m - 1), b.T @ b / (m - 1), a.T @ b / (m - 1)
            eye = torch.eye(s11.shape[0], dtype=s11.dtype)
            s11 = s11 + eps * torch.trace(s11) / s11.shape[0] * eye
            s22 = s22 + eps * torch.trace(s22) / s22.shape[0] * eye
            loss = -torch.linalg.svdvals(inv_sqrt(s11) @ s12 @ inv_sqrt(s22)).sum()
            loss.backward()
            return float(loss), float(h1.grad.norm()), float(h2.grad.norm())
        step(H1, H2)
        best = float('inf')
        for _ in range(20):
            t0 = time.perf_counter()
            out = step(H1, H2)
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({{"seconds": best, "loss": out[0], "dh1_norm": out[1], "dh2_norm": out[2]}}))
    """
    status, result, theirs_mib, _ = run_capped(code, 300, 1)
    if status != "ok":
        raise SystemExit(f"torch Deep CCA step: {status}")
    diff = max(abs(counters[k] - result[k]) / abs(result[k]) for k in ("loss", "dh1_norm", "dh2_norm"))
    if diff > 1e-8:
        raise SystemExit(f"our loss or gradients differ from torch's by {diff:.3g} (relative)")
    cases = [{"case": f"batch={m} d={d} threads=1", "ours_s": ours_s, "theirs_s": result["seconds"],
              "speedup": result["seconds"] / ours_s, "ours_peak_mib": ours_mib,
              "theirs_peak_mib": theirs_mib, "max_relative_difference": diff}]
write_results(args.out, "deep_cca_step_vs_torch", "PyTorch autograd", cases,
              competitor_versions("torch", "numpy"))
