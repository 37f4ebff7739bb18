"""Our CCA against scikit-learn's CCA (NIPALS with deflation, n_components = p, its defaults
max_iter = 500 and tol = 1e-6) on the same float64 data, one thread on each side, at the benchmark
sizes. scikit-learn gets a 120 s wall-clock cap per fit: a fit that runs past it is recorded as
timed out (its time is then a lower bound) and one that raises as failed with its message. Our
answer is checked against numpy's closed form in every case, and against scikit-learn's score
correlations where it finishes."""
import tempfile

import numpy as np

from compare_common import competitor_versions, parse_args, run_ours, write_results
from cca_bench_common import (NUMPY_CLOSED_FORM, rho_summary, run_capped, summary_difference,
                              use_views, write_views)

CAP_S = 120.0
args = parse_args(__doc__)
sizes = [(100_000, 16), (100_000, 64), (10_000, 256)]
if args.quick:
    sizes = [(5_000, 8)]
namespace = {"np": np}
exec(NUMPY_CLOSED_FORM, namespace)
cases = []
with tempfile.TemporaryDirectory() as tmp:
    for n, p in sizes:
        x_path, y_path = write_views(tmp, n, p, p)
        use_views(x_path, y_path)
        ours_s, ours_mib, counters = run_ours(args.binary, f"^BM_cca/{n}/{p}/", threads=1)
        reference = namespace["closed_form"](np.load(x_path), np.load(y_path))
        numpy_diff = summary_difference(counters, rho_summary(reference))
        if numpy_diff > 1e-8:
            raise SystemExit(f"{n}x{p}: our correlations differ from numpy's by {numpy_diff:.3g}")
        code = f"""
            import json, time, warnings
            import numpy as np
            from sklearn.cross_decomposition import CCA
            X = np.load({x_path!r}); Y = np.load({y_path!r})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t0 = time.perf_counter()
                model = CCA(n_components={p}).fit(X, Y)
                seconds = time.perf_counter() - t0
            xs, ys = model.transform(X, Y)
            rho = [abs(np.corrcoef(xs[:, i], ys[:, i])[0, 1]) for i in range({p})]
            print(json.dumps({{"seconds": seconds, "rho": rho,
                               "warnings": sorted({{str(w.message)[:80] for w in caught}})}}))
        """
        status, result, theirs_mib, wall = run_capped(code, CAP_S, 1)
        case = {"case": f"n={n} p=q={p} threads=1", "threads": 1, "ours_s": ours_s,
                "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib, "theirs_status": status,
                "ours_vs_numpy_max_rho_summary_difference": numpy_diff}
        if status == "ok":
            case["theirs_s"] = result["seconds"]
            case["theirs_warnings"] = result["warnings"]
            case["ours_vs_sklearn_max_rho_summary_difference"] = summary_difference(
                counters, rho_summary(result["rho"]))
        else:
            case["theirs_s"] = wall  # a lower bound: it had not finished (or it failed then)
        case["speedup"] = case["theirs_s"] / ours_s
        cases.append(case)
        print(f"  n={n} p=q={p}: scikit-learn {status}")
write_results(args.out, "cca_vs_sklearn", "scikit-learn CCA", cases,
              competitor_versions("sklearn", "numpy"))
