"""Plumbing shared by the cca comparison scripts: the same data for both sides (float64 .npy files
that our benchmark binary reads through JEPASNN_BENCH_X / JEPASNN_BENCH_Y), and a competitor
runner with a wall-clock cap, so that a competitor that runs for minutes or fails is recorded as
"timed out" or "failed: <message>" instead of hanging the comparison."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

# numpy's closed form (Björck–Golub with LAPACK): centre, reduced QR of each view, singular
# values of Qx^T Qy. What a numpy user writes; also the reference our answers are checked against.
NUMPY_CLOSED_FORM = """
def closed_form(X, Y):
    Xc = X - X.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    qx, _ = np.linalg.qr(Xc)
    qy, _ = np.linalg.qr(Yc)
    return np.linalg.svd(qx.T @ qy, compute_uv=False)
"""


def write_views(directory, n, p, q, seed=0):
    """X (n x p) and Y (n x q) sharing min(p, q)/2 latents; returns their paths."""
    rng = np.random.default_rng(seed)
    d = max(1, min(p, q) // 2)
    z = rng.standard_normal((n, d))
    x = z @ rng.standard_normal((d, p)) + rng.standard_normal((n, p))
    y = z @ rng.standard_normal((d, q)) + rng.standard_normal((n, q))
    paths = os.path.join(directory, f"x_{n}_{p}.npy"), os.path.join(directory, f"y_{n}_{q}.npy")
    np.save(paths[0], x)
    np.save(paths[1], y)
    return paths


def rho_summary(rho):
    rho = np.sort(np.asarray(rho, dtype=float))[::-1]
    return {"rho_sum": float(rho.sum()), "rho_sq_sum": float((rho**2).sum()),
            "rho_min": float(rho.min()), "rho_max": float(rho.max())}


def summary_difference(ours, theirs):
    """Largest absolute difference between the rho summaries of two answers."""
    return max(abs(ours[k] - theirs[k]) for k in ("rho_sum", "rho_sq_sum", "rho_min", "rho_max"))


def run_capped(code, timeout_s, threads, python=None):
    """Runs `code` (which prints one JSON line last) in a fresh interpreter with `threads` BLAS
    threads, killed after timeout_s. Returns (status, result or None, peak MiB, wall seconds)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(textwrap.dedent(code))
        path = f.name
    out_file = tempfile.TemporaryFile("w+")
    err_file = tempfile.TemporaryFile("w+")
    start = time.monotonic()
    try:
        proc = subprocess.Popen([python or sys.executable, path], stdout=out_file, stderr=err_file,
                                env=env, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() - start > timeout_s:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                return (f"timed out after {timeout_s:.0f} s", None, usage.ru_maxrss / 1024.0,
                        time.monotonic() - start)
            time.sleep(0.05)
        wall = time.monotonic() - start
        peak = usage.ru_maxrss / 1024.0
        out_file.seek(0)
        err_file.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            lines = [l for l in err_file.read().strip().splitlines() if l.strip()]
            return f"failed: {lines[-1] if lines else 'exit status ' + str(status)}", None, peak, wall
        lines = out_file.read().strip().splitlines()
        return "ok", json.loads(lines[-1]), peak, wall
    finally:
        os.unlink(path)
        out_file.close()
        err_file.close()


def use_views(x_path, y_path):
    """Points our benchmark binary at the same files."""
    os.environ["JEPASNN_BENCH_X"] = x_path
    os.environ["JEPASNN_BENCH_Y"] = y_path
