"""Shared plumbing for the side-by-side benchmark scripts.

Our side runs as a Google Benchmark binary; the competitor runs as Python code in a separate
process. Both report wall time per operation, and each process's peak resident memory is read
from the kernel (ru_maxrss of the finished child), so neither side's allocations pollute the
other's figure. Results go to one JSON file per comparison:

  {"comparison": ..., "competitor": ..., "competitor_versions": {...}, "machine": {...},
   "cases": [{"case": ..., "ours_s": ..., "theirs_s": ..., "speedup": theirs/ours,
              "ours_peak_mib": ..., "theirs_peak_mib": ..., ...extra}]}

The competitor's versions (and, for PyTorch and numpy, the BLAS / oneDNN they were built with)
are read at run time from the interpreter that runs it, never written into the scripts.
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


_VERSIONS = r"""
import importlib, json, re, sys
out = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    out[name] = getattr(module, "__version__", "unknown")
    if name == "torch":
        shown = module.__config__.show()
        blas = re.search(r"BLAS_INFO=(\w+)", shown)
        onednn = re.search(r"(?:oneDNN|MKL-DNN) (v[\w.]+)", shown)
        out["torch_build"] = {
            "blas": blas.group(1) if blas else "unknown",
            "onednn": onednn.group(1) if onednn and module.backends.mkldnn.is_available() else "off",
            "mkl": bool(module.backends.mkl.is_available()),
            "cpu_capability": module.backends.cpu.get_cpu_capability(),
            "config": shown}
    if name == "numpy":
        try:
            blas = module.show_config(mode="dicts")["Build Dependencies"]["blas"]
            blas = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
        except Exception:  # numpy < 1.25 has no mode="dicts"
            blas = "unknown"
        out["numpy_build"] = {"blas": blas}
print(json.dumps(out))
"""


def competitor_versions(*packages, python=None):
    """The versions of `packages` in the interpreter that runs the competitor (default: this
    one), with PyTorch's BLAS, oneDNN and CPU capability and numpy's BLAS."""
    out = subprocess.run([python or sys.executable, "-c", _VERSIONS, *packages], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def describe(versions):
    """A short label of competitor_versions' result: "torch 2.15.0 (mkl, oneDNN v3.9, AVX2)"."""
    parts = []
    for name, version in versions.items():
        if not isinstance(version, str):  # the build details of the one before
            continue
        label = f"{name} {version}"
        if name == "torch":
            b = versions["torch_build"]
            label += f" ({b['blas']}, oneDNN {b['onednn']}, {b['cpu_capability']})"
        if name == "numpy":
            label += f" ({versions['numpy_build']['blas']})"
        parts.append(label)
    return ", ".join(parts)


def machine():
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": sys.version.split()[0]}


def write_results(path, comparison, competitor, cases, versions=None):
    """Writes the comparison JSON atomically and prints one line per case; `versions` (from
    competitor_versions) is recorded and named in the competitor's label."""
    if versions:
        competitor = f"{competitor} [{describe(versions)}]"
    doc = {"comparison": comparison, "competitor": competitor,
           "competitor_versions": versions or {}, "machine": machine(), "cases": cases}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)
    for c in cases:
        print(f"{comparison} [{c['case']}]: ours {c['ours_s']:.4g} s, {competitor} "
              f"{c['theirs_s']:.4g} s -> {c['speedup']:.1f}x; peak {c['ours_peak_mib']:.0f} MiB "
              f"vs {c['theirs_peak_mib']:.0f} MiB")
