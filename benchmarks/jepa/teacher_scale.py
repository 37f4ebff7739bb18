#!/usr/bin/env python3
"""Peak memory and time of `jepasnn train-teacher` and `jepasnn distill` on VBN-size sessions.

Simulates a cohort once (``jepasnn simulate``; 2,000 units x 150 min is a 2.5 GB NWB file per
session, about 9e5 bins of 10 ms), then trains the teacher with the paper's architecture
(examples/configs/teacher.json) for a few steps, either with the counts held in memory (the path
before binned stores: int32 counts plus a float copy, 22.8 GB and killed on a 24 GB machine for
one session at main f7c53b3) or from binned stores (``data.stores``), and reports each run's peak
resident memory (the child's ru_maxrss), wall time and training steps per second (from the
training loop's own progress line, so binning, evaluation and writing are left out) as JSON. With stores, the first run bins
each session into its store and a second run reuses the stores: both are reported.

The ground-truth baselines (smoothed counts, PCA and LDS of the latents' dimension) stream the
session's input in four passes; they cost minutes per VBN-size session (p^2 work for ~1,400
units), so they are off unless --baselines is given (evaluation.baselines); the teacher's own
ground-truth R^2 and collapse diagnostics are always computed.

Each step's batch is read on a second thread during the step before (``train.prefetch``); the
training loop's last progress line gives the share of step time spent waiting for data, reported
as ``data_wait_pct``. ``--prefetch both`` repeats each run from existing stores without
prefetching. ``--cold`` keeps the stores out of the page cache while the teacher trains
(``posix_fadvise(POSIX_FADV_DONTNEED)`` on every store file, every 50 ms, from a thread of this
script), as for a cohort larger than memory: every window is then read from the disk.

With --student-steps N the last teacher run also writes its latents, and the student
(examples/configs/distill.json's settings, N steps) is distilled from the first session's latents
twice: with its counts read from the teacher's store ("student_stores") and binned into memory
("student_memory"); both report peak memory, wall time, training steps/s and the held-out CCA,
which must be equal (the two paths are bitwise the same computation).

Usage: teacher_scale.py --jepasnn build/release/examples/jepasnn --work /tmp/scale
                        [--sessions 1] [--units 2000] [--minutes 150] [--steps 50]
                        [--mode stores|memory ...] [--baselines] [--student-steps 20]
                        [--prefetch on|off|both] [--cold] [--out result.json]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "configs", "teacher.json")
STUDENT_EXAMPLE = os.path.join(HERE, "..", "..", "examples", "configs", "distill.json")


def run_measured(cmd, log):
    """Runs cmd, returning (exit code, peak RSS in GiB, wall seconds) of that child alone."""
    start = time.monotonic()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024.0 / 1024.0, wall


class PageCacheEvictor:
    """While active, drops the pages of the files in `folder` from the page cache every 50 ms."""

    def __init__(self, folder):
        self.paths = [os.path.join(folder, n) for n in sorted(os.listdir(folder))] if folder else []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def evict(self):
        for path in self.paths:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)

    def run(self):
        while not self.stop.wait(0.05):
            self.evict()

    def __enter__(self):
        self.evict()
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join()


def teacher_config(cohort, stores, steps, baselines, prefetch):
    with open(EXAMPLE) as f:
        doc = json.load(f)
    doc["data"] = {"cohort": cohort, "qc": "default", "bin_ms": 10, "heldout": []}
    if stores:
        doc["data"]["stores"] = stores
    doc["train"].update({"steps": steps, "warmup_steps": min(steps, 5), "validate_every": steps,
                         "checkpoint_every": 0, "progress": True, "prefetch": prefetch})
    doc["evaluation"]["baselines"] = baselines
    doc.pop("output", None)
    return doc


def student_config(cohort, latents, stores, steps):
    with open(STUDENT_EXAMPLE) as f:
        doc = json.load(f)
    doc.update({"cohort": cohort, "session": "session_000", "latents": latents, "qc": "default"})
    if stores:
        doc["stores"] = stores
    doc["student"].update({"steps": steps, "warmup_steps": min(steps, 5), "eval_every": 0,
                           "checkpoint_every": 0})
    doc.pop("out", None)
    return doc


def training_progress(log, label="train-teacher"):
    """Steps/s of the training loop and the share of its step time spent waiting for data (None
    when not shown), from its last progress line ("<label>: 100% (S/S) Ts ... data wait P%")."""
    rate, wait = None, None
    with open(log) as f:
        for line in f:
            m = re.match(label + r": +100% \((\d+)/\d+\) ([\d.]+)s", line)
            if m and float(m.group(2)) > 0:
                rate = int(m.group(1)) / float(m.group(2))
                w = re.search(r"data wait ([\d.]+)%", line)
                wait = float(w.group(1)) if w else None
    return rate, wait


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
    ap.add_argument("--baselines", action="store_true",
                    help="also score the ground-truth baselines (smoothed counts, PCA, LDS)")
    ap.add_argument("--student-steps", type=int, default=0,
                    help="> 0: also distil the student this many steps (needs --mode stores)")
    ap.add_argument("--prefetch", choices=["on", "off", "both"], default="on",
                    help="read each step's batch during the step before (train.prefetch); both: "
                         "also rerun each run from existing stores without it")
    ap.add_argument("--cold", action="store_true",
                    help="keep the stores out of the page cache while the teacher trains")
    ap.add_argument("--out", help="write the results here as JSON")
    args = ap.parse_args()
    modes = args.mode or ["stores"]
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    cohort = os.path.join(work, f"cohort_{args.sessions}x{args.units}x{args.minutes:g}")
    results = {"sessions": args.sessions, "units": args.units, "minutes": args.minutes,
               "steps": args.steps, "cold": args.cold, "runs": []}
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
            plan += [(first, stores, args.prefetch != "off"),
                     ("stores_reused", stores, args.prefetch != "off")]
            if args.prefetch == "both":
                plan.append(("stores_reused_noprefetch", stores, False))
        else:
            plan.append(("memory", None, args.prefetch != "off"))
            if args.prefetch == "both":
                plan.append(("memory_noprefetch", None, False))
    latents_dir = None
    for i, (name, store_dir, prefetch) in enumerate(plan):
        run_dir = os.path.join(work, f"run_{os.path.basename(cohort)}_{name}")
        shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a resumed one
        os.makedirs(run_dir)
        config = os.path.join(run_dir, "config.json")
        with open(config, "w") as f:
            json.dump(teacher_config(cohort, store_dir, args.steps, args.baselines, prefetch), f,
                      indent=1)
        cmd = [args.jepasnn, "train-teacher", "--config", config, "--out", run_dir]
        if args.student_steps > 0 and store_dir and i == len(plan) - 1:
            cmd.append("--latents")
            latents_dir = run_dir
        cold = args.cold and store_dir and os.path.isdir(store_dir)
        with PageCacheEvictor(store_dir if cold else None):
            code, rss, wall = run_measured(cmd, os.path.join(run_dir, "log.txt"))
        run = {"mode": name, "exit_code": code, "peak_rss_gib": round(rss, 3),
               "wall_s": round(wall, 1), "prefetch": prefetch, "cold": bool(cold)}
        if code == 0:
            with open(os.path.join(run_dir, "metrics.json")) as f:
                m = json.load(f)
            run["gt_recovery_r2"] = m.get("gt_recovery_r2")
            for key in ("smoothed_r2", "pca_r2", "lds_r2"):
                if key in m:
                    run[key] = m[key]
            run["final_loss"] = m["training"]["final_loss"]
            rate, wait = training_progress(os.path.join(run_dir, "log.txt"))
            run["train_steps_per_s"] = round(rate, 3) if rate else None
            run["data_wait_pct"] = wait
        results["runs"].append(run)
        print(json.dumps(run), flush=True)
    if args.student_steps > 0:
        if latents_dir is None:
            sys.exit("teacher_scale.py: --student-steps needs a teacher run from stores")
        latents = os.path.join(latents_dir, "latents_session_000.npy")
        for name, store_dir in [("student_stores", stores), ("student_memory", None)]:
            run_dir = os.path.join(work, f"run_{os.path.basename(cohort)}_{name}")
            shutil.rmtree(run_dir, ignore_errors=True)
            os.makedirs(run_dir)
            config = os.path.join(run_dir, "config.json")
            with open(config, "w") as f:
                json.dump(student_config(cohort, latents, store_dir, args.student_steps), f,
                          indent=1)
            code, rss, wall = run_measured(
                [args.jepasnn, "distill", "--config", config, "--out", run_dir],
                os.path.join(run_dir, "log.txt"))
            run = {"mode": name, "exit_code": code, "peak_rss_gib": round(rss, 3),
                   "wall_s": round(wall, 1)}
            if code == 0:
                with open(os.path.join(run_dir, "metrics.json")) as f:
                    m = json.load(f)
                run["cca_heldout"] = m["cca_heldout"]
                run["bins"] = m["bins"]
                run["units"] = m["units"]
                rate, _ = training_progress(os.path.join(run_dir, "log.txt"), "distill")
                run["train_steps_per_s"] = round(rate, 3) if rate else None
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
