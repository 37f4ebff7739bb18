#!/usr/bin/env python3
"""Figures of the data experiment (paper/drivers/data.cpp): the display session (whole-session
binned counts with blocks shaded, a raster and its 10 ms counts around an image change), the QC
funnel and firing-rate distribution, and recomputed against stored quality metrics."""
import csv
import os
from collections import defaultdict

import numpy as np

from plot_common import parse_args, plt, read_json, save, shade_blocks


def area_bands(ax, areas):
    """Labels each area's band of rows on the y axis."""
    ticks, labels, start = [], [], 0
    for i in range(1, len(areas) + 1):
        if i == len(areas) or areas[i] != areas[start]:
            ticks.append((start + i - 1) / 2)
            labels.append(areas[start])
            if i < len(areas):
                ax.axhline(i - 0.5, color="white", lw=0.6)
            start = i
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=7)


def session_figure(d, figures):
    s = read_json(os.path.join(d, "session.json"))
    for b in s["blocks"]:
        b["state"] = "passive" if b["block"] == s["passive_block"] else None
    areas = s["row_areas"]
    overview = np.load(os.path.join(d, "overview_counts.npy"))  # (N, U)
    window = np.load(os.path.join(d, "window_counts.npy"))  # (T, U)
    times = np.load(os.path.join(d, "raster_times.npy"))
    rows = np.load(os.path.join(d, "raster_rows.npy"))
    with open(os.path.join(d, "flashes.csv")) as f:
        flashes = list(csv.DictReader(f))
    t0, t1 = s["window_start_s"], s["window_stop_s"]

    fig = plt.figure(figsize=(10, 9))
    gs = fig.add_gridspec(3, 2, width_ratios=[40, 1], height_ratios=[1, 1.1, 1.1], hspace=0.45,
                          wspace=0.03)
    ax = fig.add_subplot(gs[0, 0])
    rate = overview / s["overview_bin_s"]
    edges = np.arange(overview.shape[0] + 1) * s["overview_bin_s"]
    im = ax.pcolormesh(edges, np.arange(len(areas) + 1) - 0.5, np.log10(rate.T + 0.1),
                       cmap="Greys", shading="flat", rasterized=True)
    shade_blocks(ax, s["blocks"], alpha=0.28)
    ax.axvspan(t0, t1, color="#7570b3", alpha=0.9, lw=0)
    ax.set_xlim(0, edges[-1])
    ax.invert_yaxis()
    area_bands(ax, areas)
    ax.set_xlabel("time in session (s)")
    ax.set_ylabel("unit (QC passed), by area")
    ax.set_title(f"{s['session']}: binned counts of the whole session "
                 f"({s['overview_bin_s']:g} s bins), stimulus blocks shaded "
                 f"(orange active task, green passive replay); purple = window below", pad=22)
    cb = fig.colorbar(im, cax=fig.add_subplot(gs[0, 1]))
    cb.set_label("log10(rate + 0.1 Hz)")

    def mark_flashes(a):
        for fl in flashes:
            start, stop = float(fl["start_s"]), float(fl["stop_s"])
            change = fl["is_change"] == "1"
            a.axvspan(max(start, t0), min(stop, t1),
                      color="#e7298a" if change else "#66a61e", alpha=0.22, lw=0)
            label = ("omitted" if fl["omitted"] == "1" else fl["image_name"]) + \
                (" (change)" if change else "")
            a.text((max(start, t0) + min(stop, t1)) / 2, 1.01, label, fontsize=6.5, ha="center",
                   va="bottom", transform=a.get_xaxis_transform(),
                   color="#e7298a" if change else "#333333")

    ax = fig.add_subplot(gs[1, 0])
    ax.scatter(times, rows, s=1.2, c="k", marker="|", linewidths=0.5, rasterized=True)
    mark_flashes(ax)
    ax.set_xlim(t0, t1)
    ax.set_ylim(len(areas) - 0.5, -0.5)
    area_bands(ax, areas)
    ax.set_ylabel("unit, by area")
    ax.set_title("spike raster in the active block (image flashes shaded: green image, pink change)",
                 pad=14)
    ax.set_xlabel("time in session (s)")

    ax = fig.add_subplot(gs[2, 0])
    edges = t0 + np.arange(window.shape[0] + 1) * s["bin_width_s"]
    vmax = max(1, int(np.percentile(window[window > 0], 99))) if window.any() else 1
    im = ax.pcolormesh(edges, np.arange(len(areas) + 1) - 0.5, window.T, cmap="viridis",
                       vmin=0, vmax=vmax, shading="flat", rasterized=True)
    ax.set_xlim(t0, t1)
    ax.invert_yaxis()
    area_bands(ax, areas)
    ax.set_ylabel("unit, by area")
    ax.set_xlabel("time in session (s)")
    ax.set_title(f"the same window binned at {1000 * s['bin_width_s']:g} ms (spike counts per bin)")
    cb = fig.colorbar(im, cax=fig.add_subplot(gs[2, 1]))
    cb.set_label("spikes / bin")
    save(fig, figures, "data_session",
         f"Data: {s['session']} binned in {s['overview_bin_s']:g} s bins over the whole session "
         "with its stimulus blocks shaded (active task, passive replay), and a spike raster and its "
         f"{1000 * s['bin_width_s']:g} ms binned counts around an image change (QC-passing units "
         "grouped by area).")


def qc_figure(d, figures):
    funnel = read_json(os.path.join(d, "funnel.json"))
    with open(os.path.join(d, "units.csv")) as f:
        units = list(csv.DictReader(f))
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.5, 1]})
    ax = axes[0]
    sessions = funnel["sessions"]
    criteria = funnel["criteria"]
    width = 0.8 / len(sessions)
    x = np.arange(len(criteria) + 2)
    for i, s in enumerate(sessions):
        values = [s["total"]] + [st["removed"] for st in s["steps"]] + [s["kept"]]
        bars = ax.bar(x + (i - (len(sessions) - 1) / 2) * width, values, width,
                      label=s["session"])
        ax.bar_label(bars, fontsize=6, padding=1)
    ax.set_xticks(x)
    wrapped = ["removed by\n" + c.replace(" ", "\n", 1) for c in criteria]
    ax.set_xticklabels(["all units"] + wrapped + ["kept\n(all criteria)"], fontsize=7)
    ax.set_ylabel("units")
    ax.set_title("QC funnel (VBN default filter, criteria applied in order)")
    ax.legend(frameon=False, ncol=2)

    ax = axes[1]
    rates = {"1": [], "0": []}
    for u in units:
        r = float(u["firing_rate_hz"])
        if np.isfinite(r) and r > 0:
            rates[u["passes_qc"]].append(r)
    allr = rates["1"] + rates["0"]
    if allr:
        bins = np.logspace(np.log10(min(allr)), np.log10(max(allr)), 40)
        ax.hist([rates["1"], rates["0"]], bins=bins, stacked=True,
                color=["#1f78b4", "#bbbbbb"],
                label=[f"passes QC (n={len(rates['1'])})", f"fails QC (n={len(rates['0'])})"])
        if rates["1"]:
            med = float(np.median(rates["1"]))
            ax.axvline(med, color="k", ls="--", lw=0.8)
            ax.text(med, ax.get_ylim()[1] * 0.95, f" median of QC-passing\n units {med:.1f} Hz", fontsize=7, va="top")
    ax.set_xscale("log")
    ax.set_xlabel("mean firing rate (Hz, log scale)")
    ax.set_ylabel("units (all sessions)")
    ax.set_title("firing-rate distribution")
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    save(fig, figures, "data_qc",
         "Data: units removed by each criterion of the VBN default QC filter, per session, and the "
         "firing-rate distribution of units that pass and fail QC (log axis).")


def metrics_figure(d, figures):
    values = defaultdict(lambda: ([], []))
    with open(os.path.join(d, "quality_metrics.csv")) as f:
        for row in csv.DictReader(f):
            stored, recomputed = values[row["metric"]]
            stored.append(float(row["stored"]))
            recomputed.append(float(row["recomputed"]))
    units = {"firing_rate": "Hz", "isi_violations": "ratio", "presence_ratio": "fraction",
             "amplitude_cutoff": "fraction"}
    names = sorted(values)
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(2.6 * max(1, len(names)), 2.9))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names):
        x, y = map(np.asarray, values[name])
        lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
        pad = 0.05 * (hi - lo or 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#e31a1c", lw=0.8,
                label="identity")
        ax.scatter(x, y, s=6, alpha=0.6, color="#1f78b4", lw=0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal")
        r = np.corrcoef(x, y)[0, 1] if len(x) > 1 and x.std() > 0 and y.std() > 0 else np.nan
        ax.set_title(f"{name}\n(n={len(x)}, r={r:.4f}, max |Δ|={np.abs(x - y).max():.2g})",
                     fontsize=8)
        ax.set_xlabel(f"stored in NWB ({units.get(name, '')})")
        ax.set_ylabel(f"recomputed from spikes ({units.get(name, '')})")
    if not names:
        axes[0].text(0.5, 0.5, "no stored metrics to compare", ha="center", va="center")
        axes[0].axis("off")
    else:
        axes[0].legend(frameon=False, loc="upper left")
    fig.suptitle("unit quality metrics: recomputed from the spike times vs stored in the file")
    fig.tight_layout()
    save(fig, figures, "data_quality_metrics",
         "Data: unit quality metrics recomputed from the spike times (and spike amplitudes) "
         "against the values stored in the NWB units table; red line = identity.")


def main():
    args = parse_args(__doc__)
    d = os.path.join(args.paper_dir, "data")
    session_figure(d, args.figures)
    qc_figure(d, args.figures)
    metrics_figure(d, args.figures)


if __name__ == "__main__":
    main()
