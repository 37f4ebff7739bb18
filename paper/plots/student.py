#!/usr/bin/env python3
"""Figures of the student experiment, from the student driver's outputs only:

  student_training.png   held-out CCA over training (monitor), with the final held-out value,
                         the 0.7 target and the circular-shift null band; loss and rates per step
  student_cca.png        canonical-correlation spectrum (held-out and training) with the null
  student_rates.png      E and I firing-rate histograms with the 5-20 Hz band
  student_raster.png     spikes of a held-out stretch (E and I)
  student_currents.png   mean E vs mean I input current per neuron, E-I current correlations
  student_ablations.png  held-out CCA and fraction in band for each ablation
"""
import csv
import os

import numpy as np

from plot_common import parse_args, plt, read_json, save

TARGET = 0.7


def load(paper_dir, name):
    return read_json(os.path.join(paper_dir, "student", name))


def read_csv(paper_dir, name):
    with open(os.path.join(paper_dir, "student", name)) as f:
        return list(csv.DictReader(f))


def col(rows, key, cast=float):
    return np.array([cast(r[key]) if r[key] != "" else np.nan for r in rows])


def training(paper_dir, figures):
    h = load(paper_dir, "history.json")
    ev_all = load(paper_dir, "evaluation.json")
    ev = ev_all["readout"]
    steps = [r["step"] for r in h["steps"]]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    lo, hi = np.percentile(ev["null_samples"], [5, 95])
    ax.axhspan(lo, hi, color="0.85", label="circular-shift null (5-95%)")
    ax.axhline(TARGET, color="C3", ls="--", label=f"target {TARGET}")
    if h["monitor"]:
        ax.plot([m["step"] for m in h["monitor"]], [m["cca_heldout"] for m in h["monitor"]],
                "o-", color="C0", label="held-out windows (monitor)")
        ax.plot([m["step"] for m in h["monitor"]], [m["cca_train"] for m in h["monitor"]],
                ".:", color="C0", alpha=0.6, label="training windows (monitor)")
    ax.axhline(ev["cca_heldout"], color="C2",
               label=f"final held-out blocks: {ev['cca_heldout']:.3f}")
    ax.set(xlabel="optimizer step", ylabel="mean canonical correlation",
           title="Student vs teacher latents", ylim=(min(0, lo) - 0.05, 1.0))
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    ax.plot(steps, [r["loss"] for r in h["steps"]], label="total loss")
    ax.plot(steps, [r["cca_loss"] for r in h["steps"]], label="Deep CCA term (-sum rho)")
    ax.plot(steps, [r["homeostasis"] for r in h["steps"]], label="homeostasis")
    ax.set(xlabel="optimizer step", ylabel="loss (dimensionless)", title="Training loss")
    ax.legend(fontsize=7)
    ax = axes[2]
    band = load(paper_dir, "evaluation.json")["band"]
    ax.axhspan(*band["exc"], color="C2", alpha=0.15, label="E band")
    ax.plot(steps, [r["rate_exc_hz"] for r in h["steps"]], color="C0", label="E mean rate")
    ax.plot(steps, [r["rate_inh_hz"] for r in h["steps"]], color="C3", label="I mean rate")
    ax.set(xlabel="optimizer step", ylabel="rate (Hz)", title="Population rates (batch)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, figures, "student_training", f"""
        Distillation of the teacher's latents of {ev_all['session']} into the LIF student: left,
        mean canonical correlation between the student readout and the teacher latents over
        training (monitor windows), the final value on held-out time blocks
        ({ev['cca_heldout']:.3f}), the 0.7 target and the 5-95% band of the circular-shift null;
        middle, the loss terms per optimizer step; right, mean E and I firing rates of the
        training batch with the excitatory homeostatic band.""")


def spectrum(paper_dir, figures):
    ev = load(paper_dir, "evaluation.json")
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label, color in (("readout", "readout", "C0"), ("filtered_exc", "filtered E", "C1")):
        r = ev[key]
        k = np.arange(1, len(r["correlations_heldout"]) + 1)
        ax.plot(k, r["correlations_heldout"], "o-", color=color, label=f"{label}, held-out")
        ax.plot(k, r["correlations_train"], "x:", color=color, label=f"{label}, training")
    ax.axhspan(0, ev["readout"]["null_p95"], color="0.85", label="null 95th pct (mean rho)")
    ax.axhline(TARGET, color="C3", ls="--", label=f"target {TARGET} (mean)")
    ax.set(xlabel="canonical component", ylabel="canonical correlation", ylim=(-0.1, 1.0),
           title="Canonical-correlation spectrum")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save(fig, figures, "student_cca", f"""
        Canonical-correlation spectrum between the student and the teacher latents, for the
        linear readout and for the exponentially filtered E spikes, on training and held-out time
        blocks; mean held-out correlation {ev['readout']['cca_heldout']:.3f} (readout) and
        {ev['filtered_exc']['cca_heldout']:.3f} (filtered E). Grey: up to the 95th percentile of
        the circular-shift null of the mean correlation ({ev['readout']['null_p95']:.3f}).""")


def rates(paper_dir, figures):
    rows = read_csv(paper_dir, "neurons.csv")
    band = load(paper_dir, "evaluation.json")["band"]
    pop = np.array([r["population"] for r in rows])
    rate = col(rows, "rate_hz")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=False)
    for ax, p, color in ((axes[0], "E", "C0"), (axes[1], "I", "C3")):
        r = rate[pop == p]
        lo, hi = band["exc" if p == "E" else "inh"]
        ax.axvspan(lo, hi, color="C2", alpha=0.15, label=f"band {lo:g}-{hi:g} Hz")
        ax.hist(r, bins=np.linspace(0, max(30, np.nanmax(rate) * 1.05), 40), color=color)
        inside = np.mean((r >= lo) & (r <= hi)) if r.size else 0
        ax.set(xlabel="firing rate (Hz)", ylabel="neurons",
               title=f"{p} neurons (n = {r.size}, {100 * inside:.0f}% in band)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, figures, "student_rates", f"""
        Firing-rate histograms of the student's excitatory and inhibitory neurons on the held-out
        blocks, with the homeostatic band shaded (E {band['exc'][0]:g}-{band['exc'][1]:g} Hz,
        I {band['inh'][0]:g}-{band['inh'][1]:g} Hz); titles give the fraction inside.""")


def raster(paper_dir, figures):
    rows = read_csv(paper_dir, "raster.csv")
    neurons = read_csv(paper_dir, "neurons.csv")
    n_exc = sum(1 for r in neurons if r["population"] == "E")
    t = col(rows, "time_ms") / 1e3
    n = col(rows, "neuron", int) if rows else np.array([], dtype=int)
    fig, ax = plt.subplots(figsize=(10, 5))
    exc = n < n_exc
    ax.scatter(t[exc], n[exc], s=1.5, color="C0", label="E")
    ax.scatter(t[~exc], n[~exc], s=1.5, color="C3", label="I")
    ax.set(xlabel="time in session (s)", ylabel="neuron", title="Student spikes, held-out block")
    ax.legend(markerscale=5, fontsize=8, loc="upper right")
    fig.tight_layout()
    save(fig, figures, "student_raster", f"""
        Spikes of every student neuron (E blue, I red; {n_exc} excitatory neurons first) over
        {t.max() - t.min() if t.size else 0:.1f} s of a held-out block, simulated at 1 ms sub-steps
        from the session's binned counts.""")


def currents(paper_dir, figures):
    rows = read_csv(paper_dir, "neurons.csv")
    pop = np.array([r["population"] for r in rows])
    me, mi = col(rows, "mean_exc_current"), col(rows, "mean_inh_current")
    corr = col(rows, "ei_current_correlation")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    for p, color in (("E", "C0"), ("I", "C3")):
        ax.scatter(me[pop == p], -mi[pop == p], s=6, color=color, label=f"{p} neurons")
    lim = np.nanmax(np.concatenate([me, -mi])) * 1.05
    ax.plot([0, lim], [0, lim], "k--", lw=0.8, label="balance")
    ax.set(xlabel="mean excitatory input (threshold / ms)",
           ylabel="|mean inhibitory input| (threshold / ms)", title="E/I input per neuron")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.hist(corr[np.isfinite(corr)], bins=30, color="C4")
    ax.set(xlabel="corr(E input, I input)", ylabel="neurons", title="E-I current correlation")
    fig.tight_layout()
    save(fig, figures, "student_currents", """
        E/I balance of the student on held-out blocks: left, each neuron's mean excitatory input
        against the magnitude of its mean inhibitory input (dashed: equal); right, the
        distribution over neurons of the correlation between a neuron's E and I input currents
        in time.""")


def value(r, key):
    v = r.get(key)
    return np.nan if v is None else v


def ablations(paper_dir, figures):
    rows = load(paper_dir, "ablations.json")
    bin_ms = 1e3 * load(paper_dir, "metrics.json")["bin_s"]
    names = [r["name"] for r in rows]
    x = np.arange(len(rows))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    ax.bar(x, [value(r, "cca_heldout") for r in rows], color="C0", label="readout")
    ax.plot(x, [value(r, "cca_heldout_filtered_exc") for r in rows], "o", color="C1",
            label="filtered E")
    for i, r in enumerate(rows):
        if r.get("stopped"):
            ax.text(i, 0.02, "stopped:\nnon-finite", ha="center", fontsize=6, rotation=90,
                    va="bottom")
    ax.axhline(TARGET, color="C3", ls="--", label=f"target {TARGET}")
    ax.plot(x, [value(r, "cca_null_95") for r in rows], "_", color="k", ms=20,
            label="null 95th pct")
    ax.set(ylabel="held-out mean canonical correlation", title="Ablations: similarity")
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.bar(x, [value(r, "frac_neurons_in_band") for r in rows], color="C2")
    for i, r in enumerate(rows):
        if r["dale_violations"]:
            ax.text(i, 0.02, f"{r['dale_violations']} Dale\nviolations", ha="center",
                    fontsize=6, rotation=90, va="bottom")
    ax.axhline(0.9, color="C3", ls="--", label="target 0.9")
    ax.set(ylabel="fraction of neurons in 5-20 Hz", ylim=(0, 1.05),
           title="Ablations: firing in band")
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    truncations = {r.get("bptt_truncate_bins", 0) for r in rows}
    bptt = ("whole-window BPTT" if truncations == {0} else
            "truncated BPTT over " +
            " / ".join(f"{bin_ms * b:g} ms" for b in sorted(truncations)) +
            " (the wide atan, sigmoid and straight-through surrogates make the whole-window "
            "gradient of a recurrent student explode)")
    save(fig, figures, "student_ablations", f"""
        Ablations, each trained and evaluated by the same code, all with {bptt}: the full student,
        without Dale's principle, without homeostasis, with each other surrogate gradient, and
        feed-forward instead of recurrent. Left, held-out mean canonical correlation with the
        teacher latents (bars: readout, dots: filtered E; dash: 95th percentile of the null);
        right, the fraction of neurons inside the band, with Dale violations written where there
        are any.""")


def main():
    args = parse_args(__doc__)
    for f in (training, spectrum, rates, raster, currents, ablations):
        f(args.paper_dir, args.figures)


if __name__ == "__main__":
    main()
