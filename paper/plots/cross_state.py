#!/usr/bin/env python3
"""Figure of the cross-state experiment (paper/drivers/cross_state.cpp): decoding accuracy of image
identity and of change vs the preceding flash, within the active state, within the passive state
and transferred active -> passive, and of the state itself (state decodability), for each representation (raw counts and PCA standardised on the
active block, both again with each state z-scored on its own, JEPA latents, and the ground-truth
latents of a simulated cohort). Bars are means over sessions, dots sessions."""
import csv
import os
from collections import defaultdict

import numpy as np

from plot_common import STATE_COLORS, parse_args, plt, read_json, save

REPRESENTATIONS = [("raw", "raw counts"), ("pca", "PCA of counts"),
                   ("raw_per_state", "raw counts,\nper-state z"),
                   ("pca_per_state", "PCA,\nper-state z"), ("jepa", "JEPA latents"),
                   ("ground_truth", "ground-truth\nlatents")]
CONDITIONS = [("within_active", "within active (CV)", STATE_COLORS["active"]),
              ("within_passive", "within passive (CV)", STATE_COLORS["passive"]),
              ("transfer", "transfer active → passive", "#7570b3")]
TASKS = [("image", "image identity"), ("change", "change vs preceding flash"),
         ("state", "the state (active vs passive)")]
STATE_CONDITION = [("cv", "cross-validated on both states", "#666666")]


def main():
    args = parse_args(__doc__)
    summary = read_json(os.path.join(args.paper_dir, "cross_state", "summary.json"))
    w0, w1 = (1000 * t for t in summary["response_window_s"])
    with open(os.path.join(args.paper_dir, "cross_state", "results.csv")) as f:
        rows = list(csv.DictReader(f))
    acc = defaultdict(list)
    chance = defaultdict(list)
    dims = {}
    for r in rows:
        acc[(r["task"], r["representation"], r["condition"])].append(float(r["accuracy"]))
        if r["condition"] in ("transfer", "cv"):
            chance[r["task"]].append(float(r["chance"]))
        dims[r["representation"]] = int(r["dim"])
    present = [(k, label) for k, label in REPRESENTATIONS if any(key[1] == k for key in acc)]
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.2), sharey=True,
                             gridspec_kw={"width_ratios": [3, 3, 2.2]})
    width = 0.26
    for ax, (task, title) in zip(axes, TASKS):
        x = np.arange(len(present))
        conditions = STATE_CONDITION if task == "state" else CONDITIONS
        for j, (cond, label, color) in enumerate(conditions):
            means, xs = [], x + (j - (len(conditions) - 1) / 2) * width
            for i, (rep, _) in enumerate(present):
                v = acc.get((task, rep, cond), [])
                means.append(np.mean(v) if v else np.nan)
                ax.scatter(np.full(len(v), xs[i]), v, s=9, color="k", zorder=3, lw=0)
            ax.bar(xs, means, width, color=color, label=label)
            for xi, m in zip(xs, means):
                if np.isfinite(m):  # the mean, inside the bar's foot (the dots sit above)
                    ax.text(xi, 0.02, f"{m:.2f}", ha="center", va="bottom", fontsize=6.5,
                            color="white", rotation=90)
        if chance[task]:
            c = float(np.mean(chance[task]))
            ax.axhline(c, color="k", ls="--", lw=0.8)
            ax.text(len(present) - 0.55, c + 0.01, f"chance (majority class) {c:.2f}",
                    fontsize=7, ha="right", va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_xticks(x)
        ax.set_xticklabels([f"{label}\n(dim {dims.get(rep, '?')})" for rep, label in present],
                           fontsize=8, rotation=30 if task == "state" else 0,
                           ha="right" if task == "state" else "center")
        ax.set_ylim(0, 1.08)
        ax.set_title(f"decoding {title}")
    axes[0].set_ylabel("accuracy (fraction of flashes)")
    axes[0].legend(frameon=False, fontsize=7, loc="upper left", ncol=3,
                   bbox_to_anchor=(0.0, 1.0))
    axes[2].legend(frameon=False, fontsize=7, loc="upper left")
    fig.suptitle("linear decoding across brain states: logistic probe on each flash's "
                 f"{w0:g}–{w1:g} ms response (bars: mean over "
                 f"{summary['sessions']} sessions; dots: sessions)", fontsize=10)
    fig.tight_layout()
    if "jepa" not in [k for k, _ in present]:
        fig.text(0.5, -0.02, "JEPA latents missing: the teacher experiment did not run, so "
                 "there are no latent bars", ha="center", fontsize=8, color="#e31a1c")
    save(fig, args.figures, "cross_state",
         "Cross-state: accuracy of linear decoders of image identity and of change vs the "
         "preceding flash, cross-validated within each state and transferred from the active task "
         "to the passive replay, and of the state itself (cross-validated on both states), for "
         "raw counts and PCA (standardised on the active block, and each state z-scored on its "
         "own), JEPA latents and ground-truth latents.")


if __name__ == "__main__":
    main()
