#!/usr/bin/env python3
"""The state-handling ablation (issue 18): for each regime (the easy per-unit affine shift; the
realistic one) and each arm of the teacher (no state handling; the frozen per-state FiLM read-in;
with per-state SIGReg; with label-free adaptation to each state), image and change decoding from
the latents within the active state and transferred active -> passive against the best count
baseline, held-out ground-truth R² overall and per state against the causally smoothed counts
(with the lowest replicate seed), and how well the state itself is decoded from the latents. Read
from the cross_state and teacher metrics of the profile's run and of its variants (run_paper.py
writes each variant to <paper dir>/<variant>/); arms that did not run are left out."""
import os

import numpy as np

from plot_common import STATE_COLORS, parse_args, plt, read_json, save

# (variant of the easy regime, variant of the realistic one, label); "" is the profile's own run.
ARMS = [("", "realistic", "no state handling"),
        ("state_moments", "realistic_state_moments", "frozen FiLM"),
        ("state_sigreg", "realistic_state_sigreg", "+ per-state SIGReg"),
        ("state_adapt", "realistic_state_adapt", "+ adaptation")]
REGIMES = [(0, "easy regime (per-unit affine shift)"),
           (1, "realistic regime (drifting engagement, input gains, task mode)")]
PANELS = [
    ("image decoding", [("cross_state", "latent_within_state_accuracy", "within active",
                         STATE_COLORS["active"]),
                        ("cross_state", "latent_transfer_accuracy", "transfer", "#7570b3")],
     ("cross_state", "best_baseline_transfer_accuracy", "best baseline transfer")),
    ("change decoding", [("cross_state", "change_latent_within_state_accuracy", "within active",
                          STATE_COLORS["active"]),
                         ("cross_state", "change_latent_transfer_accuracy", "transfer",
                          "#7570b3")],
     ("cross_state", "change_raw_per_state_transfer_accuracy", "per-state z counts transfer")),
    ("ground-truth R²", [("teacher", "gt_recovery_r2", "overall", "#7570b3"),
                         ("teacher", "gt_recovery_r2_active", "active", STATE_COLORS["active"]),
                         ("teacher", "gt_recovery_r2_passive", "passive",
                          STATE_COLORS["passive"]),
                         ("teacher", "replicates_min_gt_recovery_r2", "lowest replicate",
                          "#999999")],
     ("teacher", "smoothed_r2", "smoothed counts")),
    ("state decodable", [("cross_state", "state_latent_cv_accuracy", "from latents (CV)",
                          "#666666")],
     ("cross_state", "state_chance_accuracy", "chance")),
]


def metrics_of(paper_dir, variant):
    """{experiment: metrics} of one run, or None when its cross_state or teacher did not run."""
    run = os.path.join(paper_dir, variant)
    out = {}
    for experiment in ("cross_state", "teacher"):
        path = os.path.join(run, experiment, "metrics.json")
        if not os.path.exists(path):
            return None
        out[experiment] = read_json(path)
    return out


def value(run, experiment, key):
    v = run[experiment].get(key)
    return v if isinstance(v, (int, float)) else np.nan


def main():
    args = parse_args(__doc__)
    runs = [[(label, metrics_of(args.paper_dir, arm[r])) for *arm, label in ARMS]
            for r, _ in REGIMES]
    runs = [[(label, m) for label, m in regime if m is not None] for regime in runs]
    if sum(len(r) for r in runs) < 2:
        fig, ax = plt.subplots(figsize=(7, 1.4))
        ax.axis("off")
        ax.text(0.5, 0.5, "The state-handling ablation needs the profile's variants\n"
                "(paper/config.json 'variants'); this run had none (e.g. --nwb).",
                ha="center", va="center", fontsize=9)
        save(fig, args.figures, "state_ablation",
             "State-handling ablation: not run (no variants in this paper run).")
        return
    fig, axes = plt.subplots(len(REGIMES), len(PANELS), figsize=(3.3 * len(PANELS), 7.2),
                             squeeze=False)
    for (r, regime), regime_runs in zip(REGIMES, runs):
        for c, (title, bars, reference) in enumerate(PANELS):
            ax = axes[r][c]
            if not regime_runs:
                ax.axis("off")
                continue
            x = np.arange(len(regime_runs))
            width = 0.8 / len(bars)
            shown = []
            for i, (experiment, key, label, color) in enumerate(bars):
                ys = [value(m, experiment, key) for _, m in regime_runs]
                shown += ys
                ax.bar(x - 0.4 + width * (i + 0.5), ys, width, color=color, label=label)
            ref = [value(m, *reference[:2]) for _, m in regime_runs]
            shown += ref
            ax.scatter(x, ref, marker="_", s=900 / len(regime_runs), color="k", zorder=3,
                       label=reference[2])
            ax.set_xticks(x)
            ax.set_xticklabels([label for label, _ in regime_runs], rotation=30, ha="right",
                               fontsize=7)
            # R² values sit close together near 1: zoom in, but never past the lowest value.
            lowest = np.nanmin(shown) if np.isfinite(shown).any() else 0.0
            low = max(0.0, min(0.7, np.floor(10 * lowest - 0.5) / 10)) \
                if title == "ground-truth R²" else 0.0
            ax.set_ylim(low, 1.0)
            ax.set_title(title if r == 0 else "")
            if c == 0:
                ax.set_ylabel(regime.replace(" (", "\n("), fontsize=8)
            if r == len(REGIMES) - 1:
                ax.legend(fontsize=7, frameon=False, loc="upper center",
                          bbox_to_anchor=(0.5, -0.38), ncol=2)
    fig.tight_layout()
    save(fig, args.figures, "state_ablation",
         "State-handling ablation of the teacher, paper seed (ground-truth R² also at the lowest "
         "of the replicate seeds): image and change decoding from the latents within the active "
         "state and transferred to the passive replay (black: the best count baseline's "
         "transfer), held-out ground-truth R² per state (black: causally smoothed counts), and "
         "the state decoded from the latents (black: chance), per arm and regime.")


if __name__ == "__main__":
    main()
