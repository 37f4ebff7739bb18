#!/usr/bin/env python3
"""Independent expectations for the data module's tests, computed with h5py, numpy and scipy
(Debian's /usr/bin/python3), never with jepasnn itself:

  fixture_golden.json   vbn_like_small.nwb: the VBN default QC funnel, quality metrics
                        recomputed from the spikes, 10 ms counts of block 0 (per-unit and
                        per-bin sums and a position-weighted checksum), flash-aligned windows
  external_golden.json  the two third-party files in ../shared/fixtures/external (not
                        committed): units, spikes per unit, first/last spike, binned totals
  amplitude_cutoff_golden.json  Hill et al. (2011) amplitude cutoff of synthetic amplitude
                        sets, with scipy.ndimage.gaussian_filter1d as the smoother

Run from the repository root:  /usr/bin/python3 tests/assets/data/make_golden.py
"""
import json
import os
import sys

import h5py
import numpy as np
from scipy.ndimage import gaussian_filter1d

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "assets", "fixtures", "vbn_like_small.nwb")
EXTERNAL = os.path.abspath(os.path.join(ROOT, "..", "shared", "fixtures", "external"))


def units_of(f):
    times = f["units/spike_times"][:]
    ends = f["units/spike_times_index"][:].astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    return [times[a:b] for a, b in zip(starts, ends)]


def bin_counts(trains, t0, dt, n):
    """DESIGN.md's rule: bin floor((t - t0 + 1e-9) / dt), whole bins only."""
    out = np.zeros((n, len(trains)), np.int64)
    for u, t in enumerate(trains):
        b = np.floor((t - t0 + 1e-9) / dt).astype(np.int64)
        b = b[(b >= 0) & (b < n)]
        out[:, u] = np.bincount(b, minlength=n)
    return out


def n_bins(t0, t1, dt):
    return int(np.floor((t1 - t0) / dt + 1e-9))


def checksum(counts):
    """sum(count * (1 + position mod 9973)): catches a count moved to another bin or unit."""
    pos = np.arange(counts.size).reshape(counts.shape) % 9973
    return int((counts * (1 + pos)).sum())


def isi_violations(t, t0, t1, refractory=0.0015, censored=0.0):
    isis = np.diff(t)
    keep = np.concatenate([[True], isis > censored])
    t = t[keep]
    n = len(t)
    if n == 0:
        return None
    v = int(np.sum(np.diff(t) < refractory))
    return (v / (2 * n * (refractory - censored))) / (n / (t1 - t0))


def presence(t, t0, t1, blocks=100):
    edges = np.linspace(t0, t1, blocks + 1)
    h, _ = np.histogram(t, edges)
    return float(np.sum(h > 0) / blocks)


def amplitude_cutoff(a, bins=500, sigma=3):
    pdf, support = np.histogram(a, bins, density=True)
    smoothed = gaussian_filter1d(pdf, sigma)  # mode 'reflect', truncate 4.0
    peak = int(np.argmax(smoothed))
    g = int(np.argmin(np.abs(smoothed[peak:] - smoothed[0]))) + peak
    width = support[1] - support[0]
    return float(min(np.sum(smoothed[g:]) * width, 0.5))


def fixture_golden():
    with h5py.File(FIXTURE, "r") as f:
        trains = units_of(f)
        u = f["units"]
        quality = [q.decode() for q in u["quality"][:]]
        cols = {k: u[k][:] for k in ("isi_violations", "amplitude_cutoff", "presence_ratio")}
        steps = [("quality == \"good\"", np.array([q == "good" for q in quality])),
                 ("isi_violations < 0.5", cols["isi_violations"] < 0.5),
                 ("amplitude_cutoff < 0.1", cols["amplitude_cutoff"] < 0.1),
                 ("presence_ratio > 0.9", cols["presence_ratio"] > 0.9)]
        alive = np.ones(len(trains), bool)
        funnel = []
        for name, ok in steps:
            removed = int(np.sum(alive & ~ok))
            alive &= ok
            funnel.append({"criterion": name, "failing": int(np.sum(~ok)), "removed": removed,
                           "remaining": int(alive.sum())})
        t0 = min(t[0] for t in trains if len(t))
        t1 = max(t[-1] for t in trains if len(t))
        metrics = {"range": [t0, t1],
                   "firing_rate": [len(t) / (t1 - t0) for t in trains],
                   "isi_violations": [isi_violations(t, t0, t1) for t in trains],
                   "presence_ratio": [presence(t, t0, t1) for t in trains]}
        g = f["intervals/Natural_Images_Lum_Matched_set_ophys_G_2019_presentations"]
        start, stop, block = g["start_time"][:], g["stop_time"][:], g["stimulus_block"][:]
        omitted = g["omitted"][:].astype(bool)
        b0 = block == 0
        bt0, bt1 = float(start[b0].min()), float(stop[b0].max())
        n = n_bins(bt0, bt1, 0.01)
        counts = bin_counts(trains, bt0, 0.01, n)
        flashes = start[b0 & ~omitted]
        pre, post, dt = 0.25, 0.5, 0.01
        wn = n_bins(0, pre + post, dt)
        windows = np.stack([bin_counts(trains, e - pre, dt, wn) for e in flashes])
    return {
        "funnel": funnel,
        "kept": int(alive.sum()),
        "metrics": metrics,
        "block0": {"t_start": bt0, "t_stop": bt1, "bin_width": 0.01, "n_bins": n,
                   "unit_sums": counts.sum(0).tolist(), "bin_sums": counts.sum(1).tolist(),
                   "checksum": checksum(counts)},
        "flash_windows": {"pre": pre, "post": post, "bin_width": dt, "events": len(flashes),
                          "n_bins": wn, "first_onsets": flashes[:5].tolist(),
                          "bin_sums": windows.sum((0, 2)).tolist(),
                          "unit_sums": windows.sum((0, 1)).tolist(),
                          "checksum": checksum(windows)},
    }


def external_golden():
    out = {}
    for name in sorted(os.listdir(EXTERNAL)):
        if not name.endswith(".nwb"):
            continue
        with h5py.File(os.path.join(EXTERNAL, name), "r") as f:
            trains = units_of(f)
            ids = f["units/id"][:].tolist()
            index_dtype = str(f["units/spike_times_index"].dtype)
        t0 = float(np.floor(min(t[0] for t in trains if len(t))))
        t1 = float(np.ceil(max(t[-1] for t in trains if len(t)))) + 1.0
        n = n_bins(t0, t1, 0.01)
        counts = bin_counts(trains, t0, 0.01, n)
        out[name] = {"index_dtype": index_dtype, "n_units": len(trains), "ids": ids,
                     "n_spikes": [len(t) for t in trains],
                     "first_spike": [float(t[0]) for t in trains],
                     "last_spike": [float(t[-1]) for t in trains],
                     "bin": {"t_start": t0, "t_stop": t1, "bin_width": 0.01, "n_bins": n,
                             "unit_sums": counts.sum(0).tolist(),
                             "checksum": checksum(counts)}}
    return out


def cutoff_golden():
    rng = np.random.default_rng(20261124)
    cases = []
    for mean, sd, n, threshold in [(150, 15, 2000, 50), (60, 15, 1500, 50), (55, 20, 2500, 50),
                                   (80, 10, 1000, 70), (100, 30, 600, 40)]:
        a = np.round(rng.normal(mean, sd, n), 3)  # short decimals: exact in JSON
        a = a[a >= threshold]
        cases.append({"amplitudes": a.tolist(), "cutoff": amplitude_cutoff(a)})
    return cases


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    write("fixture_golden.json", fixture_golden())
    write("amplitude_cutoff_golden.json", cutoff_golden())
    if os.path.isdir(EXTERNAL):
        write("external_golden.json", external_golden())
    else:
        print("no", EXTERNAL, "- external_golden.json not regenerated", file=sys.stderr)
