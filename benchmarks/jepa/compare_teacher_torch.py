"""One training step of the default LeJEPA teacher (3 sessions of 380/420/450 units, batch 32
windows x 64 bins of 10 ms, read-in -> LayerNorm -> GRU -> linear to D = 32, the default, and to
D = 128, the paper's teacher; predictor causal conv(3) + GELU -> linear to K = 4 future latents;
loss 0.95 L_pred + 0.05 SIGReg (256 directions, 17 knots, per time step over the batch's
windows); gradient-norm clipping; AdamW) against the same architecture in PyTorch (float32
autograd, CPU), each in its own process with the same thread count. Reports steps/s of each side
as time per step."""
from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results

args = parse_args(__doc__)
cases = []
for latent, threads in ((32, 1), (32, 2), (128, 1), (128, 2)):
    ours_s, ours_mib, counters = run_ours(args.binary, f"^BM_teacher_train_step/{latent}/",
                                          min_time=2.0, threads=threads)
    setup = f"""
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.set_num_threads({threads})
        torch.manual_seed(0)
        units, B, L, H, D, P = [380, 420, 450], 32, 64, 128, {latent}, 128
        K, W0, LAM, M = 4, 8, 0.05, 256
        counts = [B // 3 + (1 if s < B % 3 else 0) for s in range(3)]

        class CausalConv(nn.Module):
            def __init__(self, cin, cout, k):
                super().__init__(); self.k = k; self.conv = nn.Conv1d(cin, cout, k)
            def forward(self, x):  # (B, C, L)
                return self.conv(F.pad(x, (self.k - 1, 0)))

        class Teacher(nn.Module):
            def __init__(self):
                super().__init__()
                self.readin = nn.ModuleList([nn.Linear(u, H) for u in units])
                self.norm = nn.LayerNorm(H)
                self.gru = nn.GRU(H, H)
                self.head = nn.Linear(H, D)
                self.pconv = CausalConv(D, P, 3)
                self.phead = nn.Linear(P, K * D)
            def forward(self, xs):  # xs[s]: (L, count_s, U_s), time-major like ours
                h = torch.cat([r(x) for r, x in zip(self.readin, xs)], dim=1)  # (L, B, H)
                h = self.norm(h)
                h, _ = self.gru(h)
                z = self.head(h)  # (L, B, D)
                q = F.gelu(self.pconv(z.permute(1, 2, 0))).permute(2, 0, 1)
                return z, self.phead(q)  # (L, B, D), (L, B, K*D)

        t = torch.linspace(0, 3, 17)
        phi = torch.exp(-t * t / 2)
        w = torch.full((17,), 2.0); w[0] = w[-1] = 1.0
        w = w * phi * (t[1] - t[0])

        def sigreg(z, step):  # z (T, B, D): Epps-Pulley per time step, mean over steps
            g = torch.Generator().manual_seed(step)
            a = torch.randn(z.shape[-1], M, generator=g)
            a = a / a.norm(dim=0, keepdim=True)
            y = (z @ a).unsqueeze(-1) * t  # (T, B, M, knots)
            c = torch.cos(y).mean(1); s = torch.sin(y).mean(1)  # (T, M, knots)
            stat = ((c - phi) ** 2 + s ** 2) @ w * z.shape[1]  # (T, M)
            return stat.mean()

        model = Teacher()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        xs = [(torch.rand(L, c, u) < 0.05).float() for c, u in zip(counts, units)]
        step_no = [0]

        def step():
            opt.zero_grad(set_to_none=False)
            z, zhat = model(xs)
            sq, n = 0.0, 0
            for k in range(K):
                a = L - 1 - k - W0
                pred = zhat[W0:W0 + a, :, k * D:(k + 1) * D]
                sq = sq + ((pred - z[W0 + k + 1:W0 + k + 1 + a]) ** 2).sum()
                n += pred.numel()
            loss = (1 - LAM) * sq / n + LAM * sigreg(z[W0:], step_no[0])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step_no[0] += 1
            return float(loss)

        for _ in range(5):
            step()
    """
    theirs_s, theirs_mib = run_theirs(setup, "step()", repeat=5, number=10, threads=threads)
    cases.append({"case": f"batch=32 window=64 H=128 D={latent} threads={threads}",
                  "ours_s": ours_s, "theirs_s": theirs_s, "speedup": theirs_s / ours_s,
                  "ours_steps_per_s": 1.0 / ours_s, "theirs_steps_per_s": 1.0 / theirs_s,
                  "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib,
                  "parameters": counters.get("parameters")})
write_results(args.out, "teacher_train_step_vs_torch", "PyTorch autograd (float32, CPU)", cases,
              competitor_versions("torch"))
