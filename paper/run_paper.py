#!/usr/bin/env python3
"""Runs the paper pipeline: every experiment driver (C++, in order, each reading the pinned
config), then every plot script, then metrics.json and REPORT.md.

    run_paper.py --config paper/config.json --bin <build>/paper/bin --profile full|quick
                 --out <dir> [--nwb FILE ...] [--bench-results <dir>]
                 [--threads N] [--expected expected_quick.json]
                 [--variants [NAME ...]] [--same-metrics-as other.json] [--quiet] [--no-figures]

Layout of <dir>: one folder per experiment (driver outputs + its metrics.json), figures/*.png and
*.pdf (each with a one-line <name>.caption), metrics.json (all experiments' metrics, the run
record, timing), REPORT.md. Files are written atomically; metrics.json and REPORT.md are removed
at the start, so a failed run never leaves a stale complete-looking result behind.

Real data: --nwb FILE... (or "nwb_files" in the profile's cohort section) runs the pipeline on
real VBN session files instead of the simulated cohort; metrics that need ground truth are then
reported as "n/a (no ground truth)".

Variants: each entry NAME of the profile's "variants" (sections merged over the profile, e.g. the
realistic state regime's cohort) runs the VARIANT_EXPERIMENTS again in <dir>/NAME/, with their
metrics as <experiment>_NAME (cross_state_realistic, ...) and figures named <figure>_NAME. With
--nwb there are no variants: they change the simulated cohort. --variants NAME... runs only those
(none: only the profile itself); --same-metrics-as then compares only what the run computed.
"""
import argparse
import fnmatch
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name, driver executable, plot scripts (paper/plots/*.py). Order is the data flow.
EXPERIMENTS = [
    ("run_info", "paper_run_info", []),
    ("cohort", "paper_cohort", []),
    ("data", "paper_data", ["data.py"]),
    ("teacher", "paper_teacher", ["teacher.py"]),
    ("cross_state", "paper_cross_state", ["cross_state.py"]),
    ("student", "paper_student", ["student.py"]),
]
# What a variant of the profile reruns, in order (the data overview and the student stay on the
# profile's own cohort).
VARIANT_EXPERIMENTS = ["cohort", "teacher", "cross_state"]
# Figures without a C++ driver: drawn from files run_paper.py itself collects.
EXTRA_PLOTS = ["state_ablation.py", "performance.py"]

# Keys that legitimately differ between two runs of the same build.
NONDETERMINISTIC = {"runtime_s", "timing"}
# Top-level metrics sections that are not results of the pipeline's own computation.
NOT_EXPECTED = {"run", "timing", "runtime_s", "performance", "profile"}

# How paper/derive_expected.py sets each expected value's tolerance from several runs of the quick
# profile (other instruction sets, other thread counts; the first run gives the values). A key
# whose values differ between those runs gets K_SPREAD times its largest observed deviation from
# the first run, never less than the floor of the first pattern it matches; a key that is the same
# in every run keeps the floor (integers: exact). Floors state what the numerics allow; the
# observed spread is what the runs showed, and both are written beside each expected value.
K_SPREAD = 3
TOLERANCES = [
    ("*accuracy*", {"abs_tol": 0.05},
     "decoders on ~100 flashes per state: one flipped flash moves a mean by ~0.01"),
    ("teacher*.*", {"abs_tol": 1e-6, "rel_tol": 1e-4},
     "float32 training whose rounding depends on the vector width and the thread count; with no "
     "threshold in the model it is not amplified: builds and thread counts moved these metrics by "
     "<= 5e-7 relative, and the floor is ~1000 float32 ulps (one build and thread count reproduce "
     "every value bit for bit: the determinism test)"),
    ("student.*", {"abs_tol": 0.01, "rel_tol": 0.02},
     "float32 spiking training: a rounding difference flips a spike and training amplifies it, so "
     "builds and thread counts differ by a few neurons of 128 in band fractions and ~0.01 in CCA; "
     "the floor covers metrics that happened to agree in the runs"),
    ("*", {"rel_tol": 1e-6, "abs_tol": 1e-9},
     "deterministic double-precision result of the data pipeline or a closed form"),
]


class PaperError(Exception):
    pass


def log(msg, quiet=False):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def write_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise PaperError(f"{path}: cannot read {what} ({e.strerror})")
    except json.JSONDecodeError as e:
        raise PaperError(f"{path}: invalid JSON in {what} ({e})")


def get_path(doc, dotted):
    cur = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def leaves(doc, prefix=""):
    """(dotted key, value) of every numeric leaf (bools excluded) of a nested dict."""
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from leaves(v, key + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            yield key, v


def run_step(label, cmd, quiet):
    """Runs one step, relaying its progress (stderr) live unless quiet; on failure raises with the
    step's last stderr line, which names the problem."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if quiet else None,
                                stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise PaperError(f"{label}: cannot run {cmd[0]} ({e.strerror}); build the paper targets "
                         "first (cmake --build <build> --target paper_quick)")
    last = ""
    for line in proc.stderr:
        if line.strip():
            last = line.strip()
        if not quiet:
            sys.stderr.write(line)
            sys.stderr.flush()
    if proc.wait() != 0:
        raise PaperError(f"{label} failed (exit {proc.returncode}): {last or 'no message'}")
    return time.perf_counter() - t0


def check_expected(metrics, expected_path):
    """Compares metrics with {key: {value, abs_tol, rel_tol}}; returns a list of failure lines."""
    checks = read_json(expected_path, "expected metrics").get("checks", {})
    failures = []
    for key, spec in checks.items():
        got = get_path(metrics, key)
        want = spec["value"]
        tol = spec.get("abs_tol", 0.0) + spec.get("rel_tol", 0.0) * abs(want)
        ok = isinstance(got, (int, float)) and (got == want if tol == 0 else abs(got - want) <= tol)
        line = f"  {'ok  ' if ok else 'FAIL'} {key}: {got} (expected {want} ± {tol:.3g})"
        print(line)
        if not ok:
            failures.append(line)
    return failures


def write_expected(runs, path):
    """Writes every numeric metric of runs[0] (label, metrics) as an expected value with a tolerance
    derived from all runs (see TOLERANCES); the labels of the runs are recorded in the file."""
    (_, reference), others = runs[0], [m for _, m in runs[1:]]
    checks = {}
    for section, doc in reference.items():
        if section in NOT_EXPECTED or not isinstance(doc, dict):
            continue
        for key, value in leaves(doc, section + "."):
            values = [get_path(m, key) for m in others]
            if any(not isinstance(v, (int, float)) for v in values):
                raise PaperError(f"{key}: missing from some runs, cannot derive its tolerance")
            spread = max((abs(v - value) for v in values), default=0)
            floor = next(dict(tol) for pattern, tol, _ in TOLERANCES
                         if fnmatch.fnmatch(key, pattern))
            if isinstance(value, int) and spread == 0:
                spec = {"abs_tol": 0}
            else:
                abs_tol = max(floor.get("abs_tol", 0.0), K_SPREAD * spread)
                if isinstance(value, int):
                    abs_tol = float(math.ceil(abs_tol))
                spec = {"abs_tol": abs_tol, "rel_tol": floor.get("rel_tol", 0.0)}
            checks[key] = {"value": value, **spec, "observed_spread": spread}
    doc = {"about": "Expected metrics of the quick profile (paper_quick, CI): {key: {value, abs_tol, "
                    "rel_tol, observed_spread}}; a value passes when |got - value| <= abs_tol + "
                    "rel_tol*|value| (abs_tol 0 = exact). Values are those of the first run below; "
                    f"a key that differs between the runs gets {K_SPREAD}x its largest deviation "
                    "from the first run (observed_spread) as abs_tol, never less than the floor of "
                    "its pattern. Regenerate with paper/derive_expected.py (README, 'Tests').",
           "derived_from": [label for label, _ in runs],
           "floors": {pattern: {"tolerance": tol, "why": why}
                      for pattern, tol, why in TOLERANCES} |
           {"integers": {"tolerance": {"abs_tol": 0}, "why": "counts are exact unless the runs "
                         "differ (then as for floats)"}},
           "checks": checks}
    write_atomic(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(checks)} expected values to {path}")


def strip_nondeterministic(doc):
    return {k: v for k, v in doc.items() if k not in NONDETERMINISTIC}


def criteria_table(metrics):
    criteria = read_json(os.path.join(HERE, "criteria.json"), "criteria")["criteria"]
    ops = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}
    has_truth = get_path(metrics, "cohort.ground_truth") is not False
    rows = ["| criterion | metric | target | measured | result |", "|---|---|---|---|---|"]
    counts = {"pass": 0, "FAIL": 0, "missing": 0, "n/a (no ground truth)": 0}
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    for c in criteria:
        threshold = c["threshold"]
        if isinstance(threshold, dict):  # per profile, e.g. the runtime budget
            threshold = threshold.get(metrics["profile"])
        target_key = threshold if isinstance(threshold, str) else None
        target = get_path(metrics, target_key) if target_key else threshold
        shown_target = f"{c['op']} `{target_key}`" if target_key else f"{c['op']} {threshold}"
        got = get_path(metrics, c["key"])
        if c.get("needs_ground_truth") and not has_truth:
            verdict, shown = "n/a (no ground truth)", "—"
        elif not isinstance(got, (int, float)) or not isinstance(target, (int, float)):
            verdict, shown = "missing", "—"
        else:
            verdict = "pass" if ops[c["op"]](got, target) else "FAIL"
            shown = fmt(got)
            if target_key:
                shown_target += f" ({fmt(target)})"
        counts[verdict] += 1
        rows.append(f"| {c['label']} | `{c['key']}` | {shown_target} | {shown} | {verdict} |")
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    return "\n".join(rows), summary


# The state-handling table (issue 18): per run (the profile's own, then each variant), the
# cross_state and teacher metrics that say whether the latents survive the change of state.
STATE_COLUMNS = [
    ("image transfer", "cross_state", "latent_transfer_accuracy"),
    ("image within", "cross_state", "latent_within_state_accuracy"),
    ("change transfer", "cross_state", "change_latent_transfer_accuracy"),
    ("best baseline transfer", "cross_state", "best_baseline_transfer_accuracy"),
    ("state decodable (chance 0.5)", "cross_state", "state_latent_cv_accuracy"),
    ("GT R²", "teacher", "gt_recovery_r2"),
    ("GT R² active", "teacher", "gt_recovery_r2_active"),
    ("GT R² passive", "teacher", "gt_recovery_r2_passive"),
    ("lowest replicate GT R²", "teacher", "replicates_min_gt_recovery_r2"),
    ("smoothed-count GT R²", "teacher", "smoothed_r2"),
    ("GT R² − smoothed, lowest of overall/active/passive", "teacher", "smoothed_margin"),
]


def state_table(metrics, variants):
    """Markdown rows comparing the runs' state handling, or [] when no run has cross_state."""
    runs = [("profile", "", "the profile's own cohort and teacher")]
    runs += [(v, f"_{v}", doc.get("about", "")) for v, doc in variants.items()]
    runs = [r for r in runs if isinstance(metrics.get("cross_state" + r[1]), dict)]
    if not runs:
        return []
    rows = ["| run | " + " | ".join(c for c, _, _ in STATE_COLUMNS) + " |",
            "|---|" + "---|" * len(STATE_COLUMNS)]
    for name, suffix, about in runs:
        cells = []
        for _, section, key in STATE_COLUMNS:
            value = get_path(metrics, f"{section}{suffix}.{key}")
            cells.append(f"{value:.3f}" if isinstance(value, float) else "—")
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    notes = [f"- `{name}`: {about}" for name, _, about in runs]
    return ["## State handling", "",
            "Image identity and changes decoded from the teacher's latents (fitted on the active "
            "block, tested on its passive replay), state decodability from the latents, and "
            "held-out ground-truth R² against the causally smoothed input counts (cross_state "
            "and teacher metrics of each run):", "",
            *rows, "", *notes, ""]


def figure_order(name):
    """Figures in pipeline order: by the experiment their name starts with, then by name."""
    order = [e for e, _, _ in EXPERIMENTS] + [p[:-3] for p in EXTRA_PLOTS]
    matches = [i for i, e in enumerate(order) if name == e or name.startswith(e + "_")]
    return (matches[0] if matches else len(order), name)


def report(metrics, figures_dir, out_dir, variants):
    table, summary = criteria_table(metrics)
    lines = ["# jepasnn — paper report", "",
             f"Generated by `paper/run_paper.py` (profile `{metrics['profile']}`); every number below "
             "is read from `metrics.json` of this run.", "",
             "## Run", ""]
    run = metrics.get("run", {})
    for key in ("seed", "git_revision", "compiler", "threads", "jepasnn_version", "build"):
        lines.append(f"- {key}: `{run.get(key)}`")
    cohort = metrics.get("cohort", {})
    data_kind = "simulated VBN-like cohort (with ground truth)" if cohort.get("ground_truth") \
        else "real NWB files (no ground truth)"
    lines.append(f"- data: {data_kind}, {cohort.get('sessions')} sessions, "
                 f"{cohort.get('units')} units, {cohort.get('recording_minutes', 0):.1f} min")
    lines += ["", "## Success criteria", "", f"Summary: {summary}.", "", table, ""]
    lines += state_table(metrics, variants)
    lines += ["## Figures", ""]
    # Without --no-figures the folder was emptied and redrawn by this run; with it, nothing there
    # belongs to this run.
    figures = sorted((n[:-4] for n in os.listdir(figures_dir) if n.endswith(".png")),
                     key=figure_order) if figures_dir and os.path.isdir(figures_dir) else []
    if not figures:
        lines += ["No figures (run without `--no-figures` to draw them).", ""]
    for k, name in enumerate(figures, 1):
        caption_file = os.path.join(figures_dir, f"{name}.caption")
        caption = open(caption_file).read().strip() if os.path.exists(caption_file) else name
        lines += [f"**Figure {k}** (`{name}`): {caption}", "",
                  f"![{name}](figures/{name}.png)", ""]
    lines += ["## Where the time goes", "", "| step | seconds | share |", "|---|---|---|"]
    total = metrics["runtime_s"] or 1.0
    for step, seconds in metrics["timing"].items():
        lines.append(f"| {step} | {seconds:.1f} | {100 * seconds / total:.0f}% |")
    lines.append(f"| **total** | {metrics['runtime_s']:.1f} | 100% |")
    write_atomic(os.path.join(out_dir, "REPORT.md"), "\n".join(lines) + "\n")


def collect_benchmarks(bench_dir, out):
    """Copies the benchmark comparison JSONs (benchmarks/compare_common.py format) into
    <out>/performance/benchmarks.json for the performance figure; returns the metrics entry."""
    comparisons = {}
    if bench_dir and os.path.isdir(bench_dir):
        for fname in sorted(os.listdir(bench_dir)):
            if not fname.endswith(".json"):
                continue
            doc = read_json(os.path.join(bench_dir, fname), "benchmark results")
            cases = doc.get("cases") if isinstance(doc, dict) else None
            if not isinstance(cases, list) or not all(
                    isinstance(c, dict) and {"case", "speedup"} <= set(c) for c in cases):
                log(f"run_paper: skipping {os.path.join(bench_dir, fname)}: not a benchmark "
                    "comparison (expected 'cases' with 'case' and 'speedup' each)")
                continue
            comparisons[fname[:-5]] = doc
    os.makedirs(os.path.join(out, "performance"), exist_ok=True)
    write_atomic(os.path.join(out, "performance", "benchmarks.json"),
                 json.dumps({"source": os.path.abspath(bench_dir) if bench_dir else None,
                             "comparisons": comparisons}, indent=1) + "\n")
    return {"available": bool(comparisons),
            "speedups": {name: {c["case"]: c["speedup"] for c in doc["cases"]}
                         for name, doc in comparisons.items()}}


def validate_inputs(args):
    """Checks the flags and the config's shape; returns the config."""
    config = read_json(args.config, "the paper config")
    for key in ("seed", "profiles"):
        if key not in config:
            raise PaperError(f"{args.config}: missing field '{key}'")
    if args.profile not in config["profiles"]:
        raise PaperError(f"{args.config}: no profile '{args.profile}' "
                         f"(profiles: {', '.join(config['profiles'])})")
    known = config["profiles"][args.profile].get("variants", {})
    for v in args.variants or []:
        if v not in known:
            raise PaperError(f"--variants: profile '{args.profile}' has no variant '{v}' "
                             f"(variants: {', '.join(known) or 'none'})")
    if args.threads is not None and args.threads < 1:
        raise PaperError(f"--threads is {args.threads}, expected a positive count")
    for f in args.nwb or []:
        if not os.path.isfile(f):
            raise PaperError(f"{f}: NWB file not found")
    for _, driver, _ in EXPERIMENTS:
        if not os.access(os.path.join(args.bin, driver), os.X_OK):
            raise PaperError(f"{os.path.join(args.bin, driver)}: driver not built (build the "
                             "paper targets first, e.g. cmake --build <build> --target paper_quick)")
    return config


def run(args):
    paper_config = validate_inputs(args)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    for stale in ("metrics.json", "REPORT.md"):
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    quiet = args.quiet
    config = os.path.abspath(args.config)
    if args.threads is not None:  # the drivers read a copy of the config with the thread count
        doc = paper_config | {"threads": args.threads}
        config = os.path.join(out, "config.json")
        write_atomic(config, json.dumps(doc, indent=1) + "\n")
    nwb_flags = [x for f in (args.nwb or []) for x in ("--nwb", os.path.abspath(f))]

    t_start = time.perf_counter()
    timing, metrics = {}, {"profile": args.profile}
    # (metrics key, driver, paper dir, variant) of every step, the profile's own first.
    variants = {} if nwb_flags else paper_config["profiles"][args.profile].get("variants", {})
    if args.variants is not None:
        variants = {v: variants[v] for v in variants if v in args.variants}
    steps = [(name, driver, out, None) for name, driver, _ in EXPERIMENTS]
    steps += [(f"{name}_{v}", driver, os.path.join(out, v), v) for v in variants
              for name, driver, _ in EXPERIMENTS if name in VARIANT_EXPERIMENTS]
    for i, (key, driver, paper_dir, variant) in enumerate(steps, 1):
        name = key if variant is None else key[:-len(variant) - 1]
        log(f"[{i}/{len(steps)}] {key} ...", quiet)
        cmd = [os.path.join(args.bin, driver), "--config", config, "--profile", args.profile,
               "--out", os.path.join(paper_dir, name), "--paper-dir", paper_dir]
        if variant:
            cmd += ["--variant", variant]
        if name == "cohort":
            cmd += nwb_flags
        result = os.path.join(paper_dir, name, "metrics.json")
        if os.path.exists(result):
            os.remove(result)  # a failed driver must not leave last run's metrics behind
        timing[key] = run_step(key, cmd, quiet)
        metrics["run" if key == "run_info" else key] = read_json(result, f"{key} metrics")
        log(f"[{i}/{len(steps)}] {key} done in {timing[key]:.1f} s", quiet)

    metrics["performance"] = collect_benchmarks(args.bench_results, out)

    figures = os.path.join(out, "figures")
    if not args.no_figures:
        os.makedirs(figures, exist_ok=True)
        for stale in os.listdir(figures):
            os.remove(os.path.join(figures, stale))
        scripts = [(s, out, None) for _, _, plots in EXPERIMENTS for s in plots]
        scripts += [(s, out, None) for s in EXTRA_PLOTS]
        scripts += [(s, os.path.join(out, v), v) for v in variants
                    for name, _, plots in EXPERIMENTS if name in VARIANT_EXPERIMENTS
                    for s in plots]
        for j, (script, paper_dir, variant) in enumerate(scripts, 1):
            label = script if variant is None else f"{script} ({variant})"
            log(f"[figures {j}/{len(scripts)}] {label}", quiet)
            cmd = [sys.executable, os.path.join(HERE, "plots", script), "--paper-dir", paper_dir,
                   "--figures", figures] + (["--variant", variant] if variant else [])
            timing[f"figures: {label}"] = run_step(label, cmd, quiet)

    timing = {k: round(v, 3) for k, v in timing.items()}
    metrics["timing"] = timing
    metrics["runtime_s"] = round(time.perf_counter() - t_start, 3)
    write_atomic(os.path.join(out, "metrics.json"), json.dumps(metrics, indent=1) + "\n")
    report(metrics, None if args.no_figures else figures, out, variants)
    log(f"paper ({args.profile}) written to {out} in {metrics['runtime_s']:.0f} s", quiet)
    return metrics, out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--bin", required=True, help="folder holding the paper_* driver executables")
    p.add_argument("--profile", required=True, choices=["full", "quick"])
    p.add_argument("--out", required=True)
    p.add_argument("--nwb", nargs="+", metavar="FILE",
                   help="real NWB session files for the cohort (instead of the simulator)")
    p.add_argument("--bench-results", help="folder of benchmark comparison JSONs, if they were run")
    p.add_argument("--expected", help="check metrics against this {key: {value, abs_tol}} file")
    p.add_argument("--threads", type=int,
                   help="threads of every driver (default: the config's 'threads')")
    p.add_argument("--variants", nargs="*", metavar="NAME",
                   help="run only these of the profile's variants (none: only the profile itself); "
                        "--same-metrics-as then compares only the metrics this run computed")
    p.add_argument("--same-metrics-as", help="require identical metrics (timing aside) to this file")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress output (CI, tests)")
    args = p.parse_args()
    try:
        metrics, out = run(args)
        failures = []
        if args.expected:
            print(f"checking {out}/metrics.json against {args.expected}")
            failures += check_expected(metrics, args.expected)
        if args.same_metrics_as:
            other = read_json(args.same_metrics_as, "metrics to compare with")
            if args.variants is not None:  # only what this run computed
                other = {k: v for k, v in other.items() if k in metrics}
            if strip_nondeterministic(other) != strip_nondeterministic(metrics):
                failures.append(f"metrics differ from {args.same_metrics_as}")
                for key in sorted(set(other) | set(metrics)):
                    if key not in NONDETERMINISTIC and other.get(key) != metrics.get(key):
                        print(f"  differs: {key}")
            else:
                print(f"metrics identical to {args.same_metrics_as} (timing aside)")
        if failures:
            sys.exit(f"run_paper: {len(failures)} check(s) failed")
    except PaperError as e:
        sys.exit(f"run_paper: {e}")
    except KeyboardInterrupt:
        sys.exit("run_paper: interrupted")


if __name__ == "__main__":
    main()
