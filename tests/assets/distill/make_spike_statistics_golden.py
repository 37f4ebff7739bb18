#!/usr/bin/env python3
"""Golden values of the student's spike statistics, computed independently with numpy.

Writes spike_raster.npy (float64, steps x neurons, 0/1 spikes at 1 ms) and
spike_statistics_golden.json: per-neuron rates (Hz), ISI CV (std/mean of the inter-spike
intervals, ddof 0; NaN -> null with < 2 ISIs), Fano factor (var/mean of spike counts in the
complete windows of `window` steps, ddof 0; null for a silent neuron) and the fraction of rates in
[5, 20] Hz. Run with /usr/bin/python3 from this folder.
"""
import json

import numpy as np

rng = np.random.default_rng(20261124)
steps, window, dt = 2003, 10, 1e-3  # 2003: the last 3 steps form an incomplete window
rates = np.array([0.0, 0.6, 3.0, 6.0, 10.0, 15.0, 19.0, 25.0, 40.0, 8.0, 12.0, 50.0])
raster = (rng.random((steps, rates.size)) < rates * dt).astype(np.float64)
raster[:, 1] = 0.0
raster[500, 1] = 1.0  # a single spike: no ISI
raster[:, 9] = 0.0
raster[::100, 9] = 1.0  # clock-like: CV 0
burst = np.zeros(steps)
for start in range(50, steps - 5, 250):
    burst[start:start + 5:2] = 1.0  # bursts of 3 spikes
raster[:, 11] = burst

out = {"steps": steps, "window": window, "dt": dt, "band": [5.0, 20.0]}
out["rates_hz"] = (raster.sum(0) / (steps * dt)).tolist()
cv = []
for n in range(raster.shape[1]):
    isi = np.diff(np.flatnonzero(raster[:, n]))
    cv.append(float(isi.std() / isi.mean()) if isi.size >= 2 else None)
out["isi_cv"] = cv
complete = steps // window
counts = raster[:complete * window].reshape(complete, window, -1).sum(1)
mean = counts.mean(0)
var = counts.var(0)
out["fano_factor"] = [float(v / m) if m > 0 else None for v, m in zip(var, mean)]
r = np.array(out["rates_hz"])
out["fraction_in_band"] = float(np.mean((r >= 5.0) & (r <= 20.0)))
np.save("spike_raster.npy", raster)
with open("spike_statistics_golden.json", "w") as f:
    json.dump(out, f, indent=1)
