"""Golden values of the surrogate derivatives, written from snntorch 0.9.4's formulas in numpy
float64 (independently of the C++ code):
  fast_sigmoid(k):   1 / (k|x| + 1)^2
  atan(a):           (a/2) / (1 + (pi a x / 2)^2)
  sigmoid(k):        k exp(-k x) / (exp(-k x) + 1)^2     (|k x| < 700, where it is finite)
  straight_through:  1
Run: /usr/bin/python3 tests/assets/constraints/make_surrogate_golden.py tests/assets/constraints/surrogates.json
"""
import json
import sys

import numpy as np

x = np.concatenate([np.linspace(-3.0, 3.0, 61), [-1e-9, 1e-9, -0.0137, 0.42, 7.5, -12.0]])
cases = []
for k in (25.0, 5.0, 1.0):
    cases.append({"surrogate": "fast_sigmoid", "parameter": k,
                  "derivative": (1.0 / (k * np.abs(x) + 1.0) ** 2).tolist()})
for a in (2.0, 0.5):
    cases.append({"surrogate": "atan", "parameter": a,
                  "derivative": (a / 2.0 / (1.0 + (np.pi / 2.0 * a * x) ** 2)).tolist()})
for k in (25.0, 5.0):
    e = np.exp(-k * x)
    cases.append({"surrogate": "sigmoid", "parameter": k,
                  "derivative": (k * e / (e + 1.0) ** 2).tolist()})
cases.append({"surrogate": "straight_through", "parameter": 0.0,
              "derivative": np.ones_like(x).tolist()})
with open(sys.argv[1], "w") as f:
    json.dump({"source": "numpy float64, snntorch 0.9.4 formulas", "x": x.tolist(),
               "cases": cases}, f, indent=1)
    f.write("\n")
