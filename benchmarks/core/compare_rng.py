"""Our counter-based uniform/normal fills against numpy's Generator (PCG64 default and Philox),
10 million float64 values each, on the same machine, one thread on each side."""
from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results

args = parse_args(__doc__)
n = 10_000_000
cases = []
for kind, ours_name, numpy_call in [("uniform", "BM_uniform_fill", "g.random(n)"),
                                    ("normal", "BM_normal_fill", "g.standard_normal(n)")]:
    ours_s, ours_mib, _ = run_ours(args.binary, f"^{ours_name}/", threads=1)
    for bitgen in ("PCG64", "Philox"):
        theirs_s, theirs_mib = run_theirs(
            f"import numpy as np\nn = {n}\ng = np.random.Generator(np.random.{bitgen}(1))",
            numpy_call, repeat=5)
        cases.append({"case": f"{kind} n=1e7 vs numpy {bitgen}", "ours_s": ours_s,
                      "theirs_s": theirs_s, "speedup": theirs_s / ours_s,
                      "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib})
write_results(args.out, "rng_fill", "numpy Generator", cases, competitor_versions("numpy"))
