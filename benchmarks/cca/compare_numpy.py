"""Our CCA against numpy's closed form (centre, reduced QR of each view, SVD of Qx^T Qy, OpenBLAS
LAPACK), on the same float64 data, with the same thread count on both sides (1, then 2), at the
benchmark sizes: n = 100,000 with p = q = 16 and 64, n = 10,000 with p = q = 256. Best of 3 on
the numpy side, Google Benchmark's mean on ours. Our answer is checked against numpy's."""
import tempfile

from compare_common import competitor_versions, parse_args, run_ours, write_results
from cca_bench_common import (NUMPY_CLOSED_FORM, rho_summary, run_capped, summary_difference,
                              use_views, write_views)

args = parse_args(__doc__)
sizes = [(100_000, 16), (100_000, 64), (10_000, 256)]
if args.quick:
    sizes = [(5_000, 8)]
cases = []
with tempfile.TemporaryDirectory() as tmp:
    for n, p in sizes:
        x_path, y_path = write_views(tmp, n, p, p)
        use_views(x_path, y_path)
        for threads in (1, 2):
            ours_s, ours_mib, counters = run_ours(args.binary, f"^BM_cca/{n}/{p}/", threads=threads)
            code = f"""
                import json, time
                import numpy as np
                {NUMPY_CLOSED_FORM.strip().replace(chr(10), chr(10) + ' ' * 16)}
                X = np.load({x_path!r}); Y = np.load({y_path!r})
                best = float('inf')
                for _ in range(3):
                    t0 = time.perf_counter()
                    rho = closed_form(X, Y)
                    best = min(best, time.perf_counter() - t0)
                print(json.dumps({{"seconds": best, "rho": rho.tolist()}}))
            """
            status, result, theirs_mib, _ = run_capped(code, 600, threads)
            if status != "ok":
                raise SystemExit(f"numpy closed form {n}x{p}: {status}")
            diff = summary_difference(counters, rho_summary(result["rho"]))
            cases.append({"case": f"n={n} p=q={p} threads={threads}", "threads": threads,
                          "ours_s": ours_s, "theirs_s": result["seconds"],
                          "speedup": result["seconds"] / ours_s, "ours_peak_mib": ours_mib,
                          "theirs_peak_mib": theirs_mib, "max_rho_summary_difference": diff})
            if diff > 1e-8:
                raise SystemExit(f"{n}x{p}: our correlations differ from numpy's by {diff:.3g}")
write_results(args.out, "cca_vs_numpy_closed_form", "numpy QR+SVD", cases,
              competitor_versions("numpy"))
