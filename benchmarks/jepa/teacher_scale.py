#!/usr/bin/env python3
"""Peak memory and time of `jepasnn train-teacher` on VBN-size simulated sessions (issue 19).

Simulates a cohort once (``jepasnn simulate``; 2,000 units x 150 min is a 2.5 GB NWB file per
session, about 9e5 bins of 10 ms), then trains the teacher with the paper's architecture
(examples/configs/teacher.json) for a few steps, either with the counts held in memory (the path
before binned stores: int32 counts plus a float copy, 22.8 GB and killed on a 24 GB machine for
one session at main f7c53b3) or from binned stores (``data.stores``), and reports each run's peak
resident memory (the child's ru_maxrss), wall time and training steps per second (from the
training loop's own progress line, so binning, evaluation and writing are left out) as JSON. With stores, the first run bins
each session into its store and a second run reuses the stores: both are reported.

Ground-truth baselines (PCA, LDS, smoothed counts) need the whole session's input in memory, so
they are switched off here (evaluation.baselines = false); the teacher's own ground-truth R^2 and
collapse diagnostics are still computed.

Usage: teacher_scale.py --jepasnn build/release/examples/jepasnn --work /tmp/scale
                        [--sessions 1] [--units 2000] [--minutes 150] [--steps 50]
                        [--mode stores|memory ...] [--out result.json]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "configs", "teacher.json")


def run_measured(cmd, log):
    """Runs cmd, returning (exit code, peak RSS in GiB, wall seconds) of that child alone."""
    start = time.monotonic()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024.0 / 1024.0, wall


def teacher_config(cohort, stores, steps):
    with open(EXAMPLE) as f:
        doc = json.load(f)
    doc["data"] = {"cohort": cohort, "qc": "default", "bin_ms": 10, "heldout": []}
    if stores:
        doc["data"]["stores"] = stores
    doc["train"].update({"steps": steps, "warmup_steps": min(steps, 5), "validate_every": steps,
                         "checkpoint_every": 0, "progress": True})
    doc["evaluation"]["baselines"] = False
    doc.pop("output", None)
    return doc


def steps_per_second(log):
    """Steps/s of the training loop: its last progress line ("train-teacher: 100% (S/S) Ts")."""
    rate = None
    with open(log) as f:
        for line in f:
            m = re.match(r"train-teacher: +100% \((\d+)/\d+\) ([\d.]+)s", line)
            if m and float(m.group(2)) > 0:
                rate = int(m.group(1)) / float(m.group(2))
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jepasnn", required=True, help="the jepasnn command-line tool")
    ap.add_argument("--work", required=True, help="folder for the cohort, stores and runs")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=150.0)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--mode", action="append", choices=["stores", "memory"],
                    help="repeatable; default: stores only (the in-memory path needs > 24 GB "
                         "for one VBN-size session)")
    ap.add_argument("--out", help="write the results here as JSON")
    args = ap.parse_args()
    modes = args.mode or ["stores"]
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    cohort = os.path.join(work, f"cohort_{args.sessions}x{args.units}x{args.minutes:g}")
    results = {"sessions": args.sessions, "units": args.units, "minutes": args.minutes,
               "steps": args.steps, "runs": []}
    if not os.path.exists(os.path.join(cohort, "cohort.json")):
        code, rss, wall = run_measured(
            [args.jepasnn, "simulate", "--seed", "1", "--out", cohort, "--sessions",
             str(args.sessions), "--units", str(args.units), "--minutes", str(args.minutes)],
            os.path.join(work, "simulate.log"))
        if code != 0:
            sys.exit(f"teacher_scale.py: jepasnn simulate failed ({code}); see {work}/simulate.log")
        results["simulate"] = {"peak_rss_gib": rss, "wall_s": wall}
    stores = os.path.join(cohort, "stores")
    plan = []
    for mode in modes:
        if mode == "stores":
            first = "stores_binned" if not os.path.isdir(stores) else "stores_reused"
            plan += [(first, stores), ("stores_reused", stores)]
        else:
            plan.append(("memory", None))
    for name, store_dir in plan:
        run_dir = os.path.join(work, f"run_{os.path.basename(cohort)}_{name}")
        shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a resumed one
        os.makedirs(run_dir)
        config = os.path.join(run_dir, "config.json")
        with open(config, "w") as f:
            json.dump(teacher_config(cohort, store_dir, args.steps), f, indent=1)
        code, rss, wall = run_measured(
            [args.jepasnn, "train-teacher", "--config", config, "--out", run_dir],
            os.path.join(run_dir, "log.txt"))
        run = {"mode": name, "exit_code": code, "peak_rss_gib": round(rss, 3),
               "wall_s": round(wall, 1)}
        if code == 0:
            with open(os.path.join(run_dir, "metrics.json")) as f:
                m = json.load(f)
            run["gt_recovery_r2"] = m.get("gt_recovery_r2")
            run["final_loss"] = m["training"]["final_loss"]
            rate = steps_per_second(os.path.join(run_dir, "log.txt"))
            run["train_steps_per_s"] = round(rate, 3) if rate else None
        results["runs"].append(run)
        print(json.dumps(run), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
