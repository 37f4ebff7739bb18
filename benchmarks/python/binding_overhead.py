"""What the Python binding adds to the C++ calls behind jepasnn.bin and jepasnn.cca.

Each call is timed from Python (the package's public function: argument conversion, the C++
call, numpy hand-over, for cca the JSON document turned into a result object) and inside the
module (the same C++ call, timed in C++), median of --repeats runs each, alternated. Sizes: a
session of the paper's default profile (~400 units x 24 min) binned at 10 ms, and the CCA
benchmark's n = 10,000, p = q = 256 (benchmarks/cca).

    PYTHONPATH=build/release/python .venv/bin/python benchmarks/python/binding_overhead.py \\
        --out build/bench/benchmarks/results/python_binding_overhead.json
"""

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import jepasnn
from jepasnn import _jepasnn


def python_median(f, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(name, python_call, cpp_seconds, repeats, rounds):
    py, cpp = [], []
    for _ in range(rounds):  # alternated, so that drift of the machine hits both sides alike
        py.append(python_median(python_call, repeats))
        cpp.append(cpp_seconds(repeats))
    p, c = statistics.median(py), statistics.median(cpp)
    overhead = p / c - 1.0
    print(f"{name}: python {1e3 * p:.3f} ms, C++ {1e3 * c:.3f} ms, overhead {100 * overhead:+.2f}%")
    return {"python_s": p, "cpp_s": c, "overhead": overhead, "python_rounds_s": py,
            "cpp_rounds_s": cpp}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    results = {"jepasnn": jepasnn.__version__, "threads": jepasnn.threads(),
               "machine": platform.processor() or platform.machine()}
    with tempfile.TemporaryDirectory() as tmp:
        cohort = jepasnn.simulate(Path(tmp) / "cohort", seed=1, sessions=1)
        session = jepasnn.Session(cohort.sessions[0])
        counts = jepasnn.bin(session, 10.0).counts
        results["bin"] = compare(
            f"bin ({session.n_units} units x {counts.shape[0]} bins, {counts.dtype})",
            lambda: jepasnn.bin(session, 10.0),
            lambda r: _jepasnn._time_bin_session(session, 10.0, r), args.repeats, args.rounds)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((10_000, 16))
    x = z @ rng.standard_normal((16, 256)) + rng.standard_normal((10_000, 256))
    y = z @ rng.standard_normal((16, 256)) + rng.standard_normal((10_000, 256))
    results["cca"] = compare("cca (n = 10,000, p = q = 256, every measure)",
                             lambda: jepasnn.cca(x, y),
                             lambda r: _jepasnn._time_similarity(x, y, r),
                             max(3, args.repeats // 5), args.rounds)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))
        print("wrote", args.out)


if __name__ == "__main__":
    main()
