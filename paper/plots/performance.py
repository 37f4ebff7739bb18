#!/usr/bin/env python3
"""The performance figure: speed-up of jepasnn over the tool a user would otherwise use (numpy,
scikit-learn, PyTorch, snntorch, h5py, ...), per benchmark case, read from
<paper dir>/performance/benchmarks.json, which run_paper.py collects from the benchmark comparison
JSONs (benchmarks/compare_common.py format) when they were run. Without them the figure says so:
the paper never requires the benchmarks."""
import os

import numpy as np

from plot_common import parse_args, plt, read_json, save


def main():
    args = parse_args(__doc__)
    doc = read_json(os.path.join(args.paper_dir, "performance", "benchmarks.json"))
    comparisons = doc["comparisons"]
    rows = []  # (label, speedup, ours_mib, theirs_mib, group)
    for name, c in sorted(comparisons.items()):
        for case in c["cases"]:
            rows.append((f"{case['case']}", case["speedup"], case.get("ours_peak_mib"),
                         case.get("theirs_peak_mib"), f"{name}\nvs {c['competitor']}"))
    if not rows:
        fig, ax = plt.subplots(figsize=(7, 1.6))
        ax.axis("off")
        ax.text(0.5, 0.5, "Benchmarks were not run, so there are no speed ratios to show.\n"
                "Run them with: cmake --workflow --preset bench, then rerun the paper with\n"
                "run_paper.py --bench-results build/bench/benchmarks/results\n"
                "(or configure with -DJEPASNN_PAPER_BENCH_RESULTS=<that folder>).",
                ha="center", va="center", fontsize=9)
        save(fig, args.figures, "performance",
             "Performance: benchmarks were not run for this report (the paper does not require "
             "them).")
        return
    groups = []
    for r in rows:
        if r[4] not in groups:
            groups.append(r[4])
    colors = plt.cm.tab10(np.arange(len(groups)) % 10)
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.6))
    y = np.arange(len(rows))
    speedups = np.array([r[1] for r in rows])
    ax.barh(y, speedups, color=[colors[groups.index(r[4])] for r in rows])
    for yi, r in zip(y, rows):
        mem = ""
        if r[2] is not None and r[3] is not None:
            mem = f"  (peak {r[2]:.0f} vs {r[3]:.0f} MiB)"
        ax.text(r[1] * 1.05, yi, f"{r[1]:.1f}×{mem}", va="center", fontsize=7)
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlim(min(0.5, speedups.min() / 2), speedups.max() * 30)
    ax.set_yticks(y)
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up of jepasnn (competitor time / our time, log scale; > 1 = faster)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[i]) for i in range(len(groups))]
    ax.legend(handles, groups, fontsize=7, frameon=False, loc="upper center", ncol=2,
              bbox_to_anchor=(0.5, -0.6 / (0.32 * len(rows) + 1.6)))  # below the axis label
    ax.set_title("benchmark ratios, same machine and thread count on both sides")
    fig.tight_layout()
    save(fig, args.figures, "performance",
         "Performance: speed-up of jepasnn over the named competitor for each benchmark case "
         "(same machine, same threads), with both sides' peak memory.")


if __name__ == "__main__":
    main()
