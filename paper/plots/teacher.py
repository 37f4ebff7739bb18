#!/usr/bin/env python3
"""Figures of the teacher experiment, from <paper_dir>/teacher/ only:

teacher_training    training loss curves (prediction loss and SIGReg per step, validation)
teacher_latents     first 3 PCs of a held-out session's latents: flash-aligned mean trajectories
                    per image, and the active vs passive blocks
teacher_recovery    held-out ground-truth recovery R^2: teacher vs PCA vs LDS (overall, per state)
teacher_ablation    regulariser ablation: recovery R^2 and effective rank
"""
import csv
import os

import numpy as np

from plot_common import parse_args, plt, read_json, save

BIN_S = 0.01


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows


def column(rows, key):
    return np.array([float(r[key]) if r[key] != "" else np.nan for r in rows])


def smooth(y, n):
    if len(y) < n or n <= 1:
        return y
    k = np.ones(n) / n
    return np.convolve(y, k, mode="valid")


def training_figure(d, figures, meta):
    steps = read_csv(os.path.join(d, "training_curve.csv"))
    val = read_csv(os.path.join(d, "validation_curve.csv"))
    s = column(steps, "step")
    n = max(1, len(s) // 100)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax = axes[0]
    ax.plot(s, column(steps, "prediction"), color="0.8", lw=0.6, label="per step")
    ax.plot(s[n - 1:], smooth(column(steps, "prediction"), n), color="C0",
            label=f"mean of {n} steps")
    if val:
        ax.plot(column(val, "step"), column(val, "prediction"), "o-", color="C3", ms=3,
                label="validation blocks")
    ax.set_xlabel("training step")
    ax.set_ylabel("prediction loss L_pred (MSE, latent units²)")
    ax.set_title("Prediction of z_{t+1..t+K}")
    ax.legend(frameon=False, fontsize=8)
    ax = axes[1]
    ax.plot(s, column(steps, "regularizer"), color="0.8", lw=0.6, label="per step")
    ax.plot(s[n - 1:], smooth(column(steps, "regularizer"), n), color="C2",
            label=f"mean of {n} steps")
    if val:
        ax.plot(column(val, "step"), column(val, "regularizer"), "o-", color="C3", ms=3,
                label="validation blocks")
    ax.axhline(1.052, color="k", ls=":", lw=1, label="N(0, I) expectation (1.05)")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"{meta['regularizer']} statistic (per time step)")
    ax.set_title("Regulariser (isotropic Gaussian target)")
    ax.legend(frameon=False, fontsize=8)
    fig.suptitle(f"Teacher training ({len(s)} steps, λ-weighted loss (1−λ)·L_pred + λ·SIGReg)")
    fig.tight_layout()
    t = meta["training"]
    save(fig, figures, "teacher_training", f"""
        Teacher training: left, the prediction loss L_pred (mean squared error of the predicted
        latents z_(t+1..t+K), per step in grey, running mean in blue, validation time blocks in
        red; final training {t['final_prediction_loss']:.3g}, validation
        {t['validation_prediction_loss']:.3g}); right, the {meta['regularizer']} statistic of the
        latents per time step on a log axis (final validation {t['validation_regularizer']:.3g}),
        dotted at 1.05, its expectation for N(0, I) latents. {len(s)} optimizer steps.""")


def flash_onsets(image):
    prev = np.concatenate([[-1], image[:-1]])
    return np.flatnonzero((image >= 0) & (prev != image))


def latents_figure(d, figures, meta):
    pcs = np.load(os.path.join(d, "trajectory_pcs.npy"))
    labels = np.load(os.path.join(d, "trajectory_labels.npy"))
    image, state = labels[:, 0], labels[:, 1]
    onsets = flash_onsets(image)
    window = int(round(0.75 / BIN_S))  # one flash cycle: 250 ms on + 500 ms gray
    onsets = onsets[onsets + window <= len(image)]
    images = sorted(set(image[onsets].tolist()))
    cmap = plt.get_cmap("tab10")
    fig = plt.figure(figsize=(12, 4.2))
    ax = fig.add_subplot(1, 3, 1, projection="3d")
    for i, img in enumerate(images):
        sel = onsets[(image[onsets] == img) & (state[onsets] == 1)]
        if len(sel) == 0:
            continue
        traj = np.mean([pcs[o:o + window] for o in sel], axis=0)
        ax.plot(traj[:, 0], traj[:, 1], traj[:, 2], color=cmap(i % 10), lw=1.5,
                label=f"image {img}")
        ax.scatter(*traj[0], color=cmap(i % 10), s=12)
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    ax.set_zlabel("PC3")
    ax.set_title("Flash-aligned mean (active), 0–750 ms", fontsize=9)
    ax.legend(fontsize=6, frameon=False, loc="upper left")
    for k, (st, name) in enumerate([(1, "active"), (0, "passive")]):
        ax = fig.add_subplot(1, 3, 2 + k)
        t = np.arange(window) * BIN_S * 1000.0
        for i, img in enumerate(images):
            sel = onsets[(image[onsets] == img) & (state[onsets] == st)]
            if len(sel) == 0:
                continue
            traj = np.mean([pcs[o:o + window, 0] for o in sel], axis=0)
            ax.plot(t, traj, color=cmap(i % 10), lw=1.2)
        ax.axvspan(0, 250, color="0.9", zorder=0, label="image on")
        ax.set_xlabel("time from flash onset (ms)")
        ax.set_ylabel("latent PC1 (a.u.)")
        ax.set_title(f"PC1 per image, {name} block", fontsize=9)
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle(f"Teacher latents of {meta['trajectory_session']} "
                 f"({'held out' if meta['trajectory_session'] in meta['heldout'] else 'trained'})")
    fig.tight_layout()
    fig.subplots_adjust(wspace=0.35)  # room for the 3-D panel's z label
    save(fig, figures, "teacher_latents", f"""
        Teacher latents of session {meta['trajectory_session']}, projected on their first
        principal components and averaged over flashes of each image (one colour per image),
        0-750 ms after flash onset: left, the first three PCs in the active task; middle and
        right, PC1 against time in the active and the passive block (grey: image on screen).
        The encoder is trained without image or state labels.""")


def recovery_figure(d, figures, metrics):
    rows = read_csv(os.path.join(d, "recovery.csv"))
    if not rows:
        return  # real data: no ground truth to recover
    sessions = sorted(set(r["session"] for r in rows))
    methods = [m for m in ("teacher", "smoothed", "lds", "pca")
               if any(r["method"] == m for r in rows)]
    names = {"teacher": "LeJEPA teacher", "smoothed": "smoothed counts (causal)",
             "lds": "LDS (Kalman)", "pca": "PCA of counts"}
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    width = 0.8 / len(methods)
    for ax, key, title in zip(axes, ("r2", "r2_active", "r2_passive"),
                              ("all held-out blocks", "active state", "passive state")):
        x = np.arange(len(sessions))
        for j, m in enumerate(methods):
            vals = []
            for s in sessions:
                r = [row for row in rows if row["session"] == s and row["method"] == m]
                vals.append(float(r[0][key]) if r and r[0][key] != "" else np.nan)
            ax.bar(x + (j - (len(methods) - 1) / 2) * width, vals, width, label=names[m],
                   color=f"C{j}")
        held = {r["session"] for r in rows if r["heldout"] == "1"}
        ax.set_xticks(x)
        ax.set_xticklabels([s + ("\n(held out)" if s in held else "") for s in sessions],
                           fontsize=7)
        ax.axhline(0.9, color="k", ls=":", lw=1)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_ylim(-0.2, 1.1)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("ground-truth recovery R² (held-out blocks)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=8, loc="lower center", ncol=len(methods),
               bbox_to_anchor=(0.5, -0.08))
    fig.suptitle("Affine recovery of the simulator's true latents (dotted: 0.9 target)")
    fig.tight_layout()
    save(fig, figures, "teacher_recovery", f"""
        Ground-truth recovery: R² of an affine map from each representation to the simulator's
        true latents, fitted on training time blocks and scored on held-out blocks, for every
        session (held-out sessions marked), overall and within the active and passive states.
        The LeJEPA teacher (held-out sessions: R² = {metrics['gt_recovery_r2']:.3f}) against the
        teacher's input counts smoothed by a causal exponential filter
        ({smoothed_sentence(metrics)}; every unit), PCA of the counts ({metrics['pca_r2']:.3f})
        and a linear dynamical system fitted by least squares and read out by a causal Kalman
        filter ({metrics['lds_r2']:.3f}), both with the teacher's latent
        dimension.{replicates_sentence(metrics)}
        Dotted: the 0.9 target.""")


def smoothed_sentence(metrics):
    value = metrics.get("smoothed_r2")
    tau = metrics.get("smoothing_ms")
    if value is None:
        return "not run"
    return f"time constant {tau:g} ms: {value:.3f}"


def replicates_sentence(metrics):
    reps = metrics.get("replicates") or []
    if not reps:
        return ""
    r2 = ", ".join(f"{r['gt_recovery_r2']:.3f}" for r in reps)
    rank = ", ".join(f"{r['effective_rank']:.1f}" for r in reps)
    return (f" The same run with {len(reps)} other seeds (replicates.csv): held-out R² {r2};"
            f" effective rank {rank}.")


def ablation_figure(d, figures):
    rows = read_csv(os.path.join(d, "ablation.csv"))
    if not rows:
        return
    kinds = [r["regularizer"] for r in rows]
    r2 = column(rows, "r2")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    if np.all(np.isnan(r2)):
        axes[0].text(0.5, 0.5, "no ground truth (real data)", ha="center", va="center",
                     transform=axes[0].transAxes)
    else:
        axes[0].bar(kinds, r2, color="C0")
        axes[0].set_ylim(min(0.0, np.nanmin(r2) - 0.05), 1)
    axes[0].axhline(0.0, color="k", lw=0.5)
    axes[0].set_ylabel("held-out recovery R²")
    axes[0].set_title("Ground-truth recovery", fontsize=9)
    axes[1].bar(kinds, column(rows, "effective_rank"), color="C1")
    axes[1].set_ylabel("effective rank of latents")
    axes[1].set_title("Collapse diagnostic (1 = collapsed)", fontsize=9)
    fig.suptitle(f"Regulariser ablation ({rows[0]['steps']} training steps each)")
    fig.tight_layout()
    save(fig, figures, "teacher_ablation", f"""
        Regulariser ablation: the same architecture, data and seeds trained for {rows[0]['steps']}
        steps with SIGReg, VICReg, an EMA target encoder with stop-gradient, and no regulariser.
        Left, held-out ground-truth recovery R²; right, effective rank of the held-out latents
        (exp of the entropy of the normalised singular values; 1 means collapse).""")


def main():
    args = parse_args(__doc__)
    d = os.path.join(args.paper_dir, "teacher")
    meta = read_json(os.path.join(d, "teacher.json"))
    metrics = read_json(os.path.join(d, "metrics.json"))
    meta["regularizer"] = metrics["regularizer"]
    meta["training"] = metrics["training"]
    training_figure(d, args.figures, meta)
    latents_figure(d, args.figures, meta)
    recovery_figure(d, args.figures, metrics)
    if read_csv(os.path.join(d, "ablation.csv")):  # a variant may skip the ablation
        ablation_figure(d, args.figures)


if __name__ == "__main__":
    main()
