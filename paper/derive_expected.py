#!/usr/bin/env python3
"""Regenerates paper/expected_quick.json from several quick-profile runs: the same pipeline built
for different instruction sets and run with different thread counts. The first build with the
first thread count gives the expected values; the spread of every metric over all runs sets its
tolerance (run_paper.TOLERANCES says how).

    derive_expected.py --build native=build/release --build x86-64-v2=build/isa-v2 \\
                       [--threads 2 1] [--work DIR] --out paper/expected_quick.json

Each --build is LABEL=BUILD_DIR of a configured and built tree (its paper drivers in
BUILD_DIR/paper/bin); build the others with e.g. `cmake --workflow --preset isa-v2`. Use at least
two instruction sets this machine can execute and two thread counts (README, "Tests").
"""
import argparse
import os
import subprocess
import sys
import tempfile

import run_paper

HERE = os.path.dirname(os.path.abspath(__file__))


def quick_run(bin_dir, threads, out):
    cmd = [sys.executable, os.path.join(HERE, "run_paper.py"),
           "--config", os.path.join(HERE, "config.json"), "--bin", bin_dir, "--profile", "quick",
           "--out", out, "--threads", str(threads), "--no-figures", "--quiet"]
    if subprocess.run(cmd).returncode != 0:
        raise run_paper.PaperError(f"quick run with {bin_dir} on {threads} threads failed")
    return run_paper.read_json(os.path.join(out, "metrics.json"), "quick-run metrics")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", action="append", required=True, metavar="LABEL=BUILD_DIR")
    p.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    p.add_argument("--work", help="folder for the runs (default: a temporary one)")
    p.add_argument("--out", required=True, help="expected-values file to write")
    args = p.parse_args()
    try:
        builds = []
        for spec in args.build:
            label, sep, build_dir = spec.partition("=")
            if not sep or not label:
                raise run_paper.PaperError(f"--build {spec}: expected LABEL=BUILD_DIR")
            builds.append((label, os.path.abspath(os.path.join(build_dir, "paper", "bin"))))
        if len(builds) * len(args.threads) < 2:
            raise run_paper.PaperError("one run cannot show a spread: give two builds or threads")
        with tempfile.TemporaryDirectory() as tmp:
            work = os.path.abspath(args.work or tmp)
            runs = []
            for label, bin_dir in builds:
                for threads in args.threads:
                    name = f"{label}, {threads} threads"
                    print(f"quick run: {name}", flush=True)
                    out = os.path.join(work, f"{label}-t{threads}")
                    runs.append((name, quick_run(bin_dir, threads, out)))
            run_paper.write_expected(runs, args.out)
    except run_paper.PaperError as e:
        sys.exit(f"derive_expected: {e}")


if __name__ == "__main__":
    main()
