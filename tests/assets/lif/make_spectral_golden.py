"""Spectral radii from numpy.linalg.eigvals for a few matrices: random, Dale-signed with a
complex spectrum, a scaled rotation (|λ| known exactly) and a nilpotent one.
Run: /usr/bin/python3 tests/assets/lif/make_spectral_golden.py tests/assets/lif/spectral_radius.json
"""
import json
import sys

import numpy as np

rng = np.random.default_rng(7)
dale = np.abs(rng.normal(size=(10, 10)))
dale[:, 8:] *= -3.0
theta = 0.7
rotation = 1.3 * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
matrices = {
    "random_6x6": rng.normal(size=(6, 6)),
    "dale_10x10": dale,
    "scaled_rotation": rotation,
    "nilpotent": np.triu(rng.normal(size=(5, 5)), k=1),
}
doc = {"source": "numpy.linalg.eigvals, max |lambda|", "cases": [
    {"name": k, "matrix": m.tolist(), "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(m))))}
    for k, m in matrices.items()]}
with open(sys.argv[1], "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
