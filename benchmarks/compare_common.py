"""Shared plumbing for the side-by-side benchmark scripts.

Our side runs as a Google Benchmark binary; the competitor runs as Python code in a separate
process. Both report wall time per operation, and each process's peak resident memory is read
from the kernel (ru_maxrss of the finished child), so neither side's allocations pollute the
other's figure. Results go to one JSON file per comparison:

  {"comparison": ..., "competitor": ..., "machine": {...},
   "cases": [{"case": ..., "ours_s": ..., "theirs_s": ..., "speedup": theirs/ours,
              "ours_peak_mib": ..., "theirs_peak_mib": ..., ...extra}]}
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--binary", required=True, help="our Google Benchmark executable")
    p.add_argument("--out", required=True, help="where to write the comparison JSON")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    return p.parse_args()


def _run_measured(cmd, env=None):
    """Runs cmd to completion; returns (stdout, peak RSS in MiB of that child alone)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return out, usage.ru_maxrss / 1024.0


def run_ours(binary, benchmark_filter, min_time=0.5, threads=None):
    """Runs one Google Benchmark (regex filter must select exactly one). Returns (seconds per
    iteration, peak MiB, counters)."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    out, peak = _run_measured([binary, f"--benchmark_filter={benchmark_filter}",
                               "--benchmark_format=json", f"--benchmark_min_time={min_time}"], env)
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    if len(runs) != 1:
        sys.exit(f"filter {benchmark_filter!r} selected {len(runs)} benchmarks, expected 1")
    b = runs[0]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    counters = {k: v for k, v in b.items() if k not in ("name", "run_name", "real_time", "cpu_time")}
    return b["real_time"] * scale, peak, counters


def run_theirs(setup, statement, repeat=3, number=1, threads=None, python=None):
    """Times `statement` after `setup` in a fresh interpreter; best of `repeat` runs of `number`
    executions. Returns (seconds per execution, peak MiB)."""
    code = textwrap.dedent(f"""
        import time, json
        {textwrap.indent(textwrap.dedent(setup), ' ' * 8).strip()}
        best = float('inf')
        for _ in range({repeat}):
            t0 = time.perf_counter()
            for _ in range({number}):
                {statement}
            best = min(best, (time.perf_counter() - t0) / {number})
        print(json.dumps(best))
    """)
    env = dict(os.environ)
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(code)
        path = f.name
    try:
        out, peak = _run_measured([python or sys.executable, path], env)
    finally:
        os.unlink(path)
    return json.loads(out.strip().splitlines()[-1]), peak


def machine():
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": sys.version.split()[0]}


def write_results(path, comparison, competitor, cases):
    doc = {"comparison": comparison, "competitor": competitor, "machine": machine(), "cases": cases}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)
    for c in cases:
        print(f"{comparison} [{c['case']}]: ours {c['ours_s']:.4g} s, {competitor} "
              f"{c['theirs_s']:.4g} s -> {c['speedup']:.1f}x; peak {c['ours_peak_mib']:.0f} MiB "
              f"vs {c['theirs_peak_mib']:.0f} MiB")
