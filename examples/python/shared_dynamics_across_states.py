"""From spikes to a similarity figure in Python, with the jepasnn package.

Simulates a small VBN-like cohort, bins one session's active block and its passive replay at
10 ms, splits the units into two random halves and measures how much dynamics the halves share
in each state: the canonical correlations between their (square-root) counts. Both states share
the simulator's latent dynamics, so both spectra start high; the state changes each unit's gain,
so the spectra differ.

    pip install .  (once, from the repository root; matplotlib for the figure)
    python examples/python/shared_dynamics_across_states.py --out figure.png
"""

import argparse
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import jepasnn  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("shared_dynamics_across_states.png"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cohort = jepasnn.simulate(Path(tmp) / "cohort", seed=args.seed, profile="quick")
        session = jepasnn.Session(cohort.sessions[0])
        halves = np.random.default_rng(args.seed).permutation(session.n_units)
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for state in ("active", "passive"):
            counts, _, _ = jepasnn.bin(session, bin_ms=10, state=state)
            x = np.sqrt(counts.astype(np.float64))
            a, b = x[:, halves[: len(halves) // 2]], x[:, halves[len(halves) // 2:]]
            result = jepasnn.cca(a, b, ridge=1e-3, folds=5)
            rho = result.canonical_correlations[:20]
            ax.plot(np.arange(1, rho.size + 1), rho, marker="o", ms=3,
                    label=f"{state}: held-out mean CCA {result.cross_validated['mean_cca']:.2f}")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set(xlabel="canonical component", ylabel="canonical correlation",
               title=f"Two halves of {session.n_units} units, 10 ms bins")
        ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
