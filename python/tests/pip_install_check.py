"""The documented install path: `pip install .` from the repository root builds the package
with scikit-build-core and nanobind (no network: --no-build-isolation uses this interpreter's)
into a scratch target, which then imports and computes without the build tree.

    python pip_install_check.py REPO SCRATCH
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

repo, scratch = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(scratch, ignore_errors=True)
target = scratch / "site"
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-build-isolation", "--no-deps", "--target", str(target),
                f"--config-settings=build-dir={scratch / 'build'}", str(repo)], check=True)
files = {p.name for p in (target / "jepasnn").iterdir()}
missing = {"__init__.py", "binning.py", "similarity.py", "simulation.py", "py.typed",
           "_jepasnn.pyi"} - files
assert not missing, f"installed package lacks {sorted(missing)}"
assert any(f.startswith("_jepasnn.") and f.endswith(".so") for f in files), files
smoke = """
import numpy as np, jepasnn, sys
assert jepasnn.__file__.startswith(sys.argv[1]), jepasnn.__file__
counts, ids, _ = jepasnn.bin([np.array([0.001, 0.015])], 10.0, t_start=0.0, t_stop=0.02)
assert counts.tolist() == [[1], [1]] and ids.tolist() == [0]
rng = np.random.default_rng(0)
x = rng.standard_normal((50, 3))
assert abs(jepasnn.cca(x, x).mean_cca - 1.0) < 1e-12
print("installed jepasnn", jepasnn.__version__, "imports and computes")
"""
env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
env["PYTHONPATH"] = str(target)
subprocess.run([sys.executable, "-c", smoke, str(target)], check=True, env=env, cwd=scratch)
