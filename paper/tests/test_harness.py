#!/usr/bin/env python3
"""Tests of the paper harness that do not need a full run: REPORT.md's criteria table (pass, FAIL,
missing, n/a without ground truth, thresholds that name another metric or depend on the
profile), the expected-values file (tolerance semantics, tolerances derived from several
runs), one-line errors of run_paper.py and of the drivers on bad input with no complete-looking output left behind, and the
real-NWB path (cohort, data and cross_state drivers on the committed VBN-like fixture).

    test_harness.py --bin <build>/paper/bin --fixture tests/assets/fixtures/vbn_like_small.nwb
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER = os.path.dirname(HERE)
sys.path.insert(0, PAPER)
import run_paper  # noqa: E402

CONFIG = os.path.join(PAPER, "config.json")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def row_of(table, key):
    rows = [r for r in table.splitlines() if f"`{key}`" in r.split("|")[2]]
    check(rows, f"no criteria row for {key}")
    return rows


@test
def state_table_lists_the_profile_and_each_variant_that_ran(_):
    metrics = {"cross_state": {"latent_transfer_accuracy": 0.33, "state_latent_cv_accuracy": 1.0},
               "teacher": {"gt_recovery_r2": 0.915},
               "cross_state_state_moments": {"latent_transfer_accuracy": 0.78},
               "teacher_state_moments": {"gt_recovery_r2": 0.87}}
    variants = {"state_moments": {"about": "per-state scaling"},
                "realistic": {"about": "did not run"}}
    lines = run_paper.state_table(metrics, variants)
    rows = [r for r in lines if r.startswith("| `")]
    check(len(rows) == 2, f"one row per run with cross_state metrics: {rows}")
    check(rows[0].startswith("| `profile` | 0.330 |") and "| 1.000 |" in rows[0]
          and "| 0.915 |" in rows[0], rows[0])
    check(rows[1].startswith("| `state_moments` | 0.780 | — |") and "| 0.870 |" in rows[1],
          rows[1])
    check("- `state_moments`: per-state scaling" in lines, "the variant's description is listed")
    check(run_paper.state_table({"teacher": {}}, {}) == [], "no table without cross_state")


@test
def criteria_table_shows_pass_fail_missing_and_no_ground_truth(_):
    metrics = {"profile": "quick", "cohort": {"ground_truth": False}, "runtime_s": 400.0,
               "data": {"units_after_qc": 12,
                        "quality_metric_agreement": {"firing_rate": {"agreeing_fraction": 0.5}}},
               "teacher": {"gt_recovery_r2": 0.95, "effective_rank": 3.0},
               "cross_state": {"raw_within_state_accuracy": 0.6, "image_chance_accuracy": 0.25,
                               "latent_transfer_accuracy": 0.4, "raw_transfer_accuracy": 0.5}}
    table, summary = run_paper.criteria_table(metrics)
    check(row_of(table, "data.units_after_qc")[0].endswith("| pass |"), "units row passes")
    check(row_of(table, "data.quality_metric_agreement.firing_rate.agreeing_fraction")[0]
          .endswith("| FAIL |"), "agreement 0.5 < 0.99 fails")
    check(row_of(table, "teacher.gt_recovery_r2")[0].endswith("| n/a (no ground truth) |"),
          "ground-truth criterion is n/a on real data even when a value is present")
    check(all(r.endswith("| missing |") for r in row_of(table, "student.cca_heldout")),
          "student criteria are missing before the student experiment")
    latent = row_of(table, "cross_state.latent_transfer_accuracy")
    check(any("`cross_state.raw_transfer_accuracy` (0.5)" in r and r.endswith("| FAIL |")
              for r in latent), "threshold naming another metric is resolved and compared")
    check(row_of(table, "runtime_s")[0].endswith("| FAIL |") and "<= 300" in
          row_of(table, "runtime_s")[0], "quick profile's runtime budget is 300 s")
    check("n/a (no ground truth)" in summary and "missing" in summary, summary)
    metrics["cohort"]["ground_truth"] = True
    table, _ = run_paper.criteria_table(metrics)
    check(row_of(table, "teacher.gt_recovery_r2")[0].endswith("| pass |"),
          "ground-truth criterion is judged on simulated data")


@test
def every_criterion_is_well_formed(_):
    doc = json.load(open(os.path.join(PAPER, "criteria.json")))
    for c in doc["criteria"]:
        check({"label", "key", "op", "threshold"} <= set(c), f"criterion {c} lacks a field")
        check(c["op"] in (">", ">=", "<", "<=", "=="), f"criterion {c['label']}: op {c['op']}")
        t = c["threshold"]
        check(isinstance(t, (int, float, str)) or (isinstance(t, dict) and
                                                   set(t) == {"full", "quick"}),
              f"criterion {c['label']}: threshold {t}")
    keys = {c["key"] for c in doc["criteria"]}
    for required in ("teacher.gt_recovery_r2", "teacher.effective_rank",
                     "cross_state.raw_within_state_accuracy", "cross_state.raw_transfer_accuracy",
                     "cross_state.latent_transfer_accuracy", "student.cca_heldout",
                     "student.frac_neurons_in_band", "student.dale_violations",
                     "student.mean_rate_hz_exc", "student.mean_rate_hz_inh", "runtime_s"):
        check(required in keys or any(c["threshold"] == required for c in doc["criteria"]),
              f"issue key {required} has no criterion")


@test
def expected_values_round_trip_with_derived_tolerances(tmp):
    path = os.path.join(tmp, "expected.json")
    metrics = {"profile": "quick", "run": {"seed": 1}, "timing": {"x": 1.0}, "runtime_s": 3.0,
               "data": {"units_after_qc": 120, "median_firing_rate_hz": 12.5,
                        "flag": True, "nested": {"ratio": 0.25}},
               "cross_state": {"raw_transfer_accuracy": 0.5},
               "student": {"cca_heldout": 0.7, "dale_violations": 2721}}
    other = json.loads(json.dumps(metrics))  # another ISA: trained numbers moved
    other["student"]["cca_heldout"] = 0.69
    other["student"]["dale_violations"] = 2759
    run_paper.write_expected([("a", metrics), ("b", other)], path)
    doc = json.load(open(path))
    checks = doc["checks"]
    check(doc["derived_from"] == ["a", "b"], f"derived_from {doc['derived_from']}")
    check(set(checks) == {"data.units_after_qc", "data.median_firing_rate_hz", "data.nested.ratio",
                          "cross_state.raw_transfer_accuracy", "student.cca_heldout",
                          "student.dale_violations"}, f"checked keys {sorted(checks)}")
    check(checks["data.units_after_qc"] == {"value": 120, "abs_tol": 0, "observed_spread": 0},
          "counts that agree are exact")
    check(checks["cross_state.raw_transfer_accuracy"]["abs_tol"] == 0.05, "accuracy floor")
    k = run_paper.K_SPREAD
    check(abs(checks["student.cca_heldout"]["abs_tol"] - k * 0.01) < 1e-12, "k x spread")
    check(checks["student.dale_violations"]["abs_tol"] == k * 38, "integer spread")
    check(run_paper.check_expected(metrics, path) == [], "a run matches its own expectations")
    check(run_paper.check_expected(other, path) == [], "every run matches the expectations")
    metrics["data"]["units_after_qc"] = 121
    metrics["cross_state"]["raw_transfer_accuracy"] = 0.56
    metrics["data"]["median_firing_rate_hz"] = 12.5 * (1 + 1e-3)
    metrics["student"]["cca_heldout"] = 0.8
    failures = run_paper.check_expected(metrics, path)
    check(len(failures) == 4 and "units_after_qc" in failures[0] and
          "median_firing_rate_hz" in failures[1], f"failures {failures}")
    del metrics["data"]["nested"]
    check(len(run_paper.check_expected(metrics, path)) == 5, "a missing key fails")
    del other["data"]["nested"]
    metrics["data"]["nested"] = {"ratio": 0.25}  # in the first run only
    try:
        run_paper.write_expected([("a", metrics), ("b", other)], path)
        check(False, "a key missing from one run must fail the derivation")
    except run_paper.PaperError as e:
        check("data.nested.ratio" in str(e), f"message {e}")


def run(cmd):
    # CI=1: drivers draw no progress, so stderr holds only what an error writes.
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, CI="1"))


def one_line_error(proc, *needles):
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    check(proc.returncode in (1, 2), f"exit code {proc.returncode}, stderr {proc.stderr!r}")
    check(len(lines) == 1, f"expected one stderr line, found {lines}")
    for n in needles:
        check(n in lines[0], f"{n!r} not in {lines[0]!r}")
    return lines[0]


@test
def run_paper_reports_bad_input_in_one_line(tmp, args):
    base = [sys.executable, os.path.join(PAPER, "run_paper.py"), "--bin", args.bin,
            "--profile", "quick", "--quiet"]
    out = os.path.join(tmp, "out")
    one_line_error(run(base + ["--config", os.path.join(tmp, "none.json"), "--out", out]),
                   "run_paper:", "none.json", "cannot read")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        json.dump({"seed": 1}, f)
    one_line_error(run(base + ["--config", bad, "--out", out]), "missing field 'profiles'")
    with open(bad, "w") as f:
        f.write("{not json")
    one_line_error(run(base + ["--config", bad, "--out", out]), "invalid JSON")
    one_line_error(run(base + ["--config", CONFIG, "--out", out, "--nwb",
                               os.path.join(tmp, "missing.nwb")]), "missing.nwb", "not found")
    one_line_error(run(base[:3] + [tmp] + base[4:] + ["--config", CONFIG, "--out", out]),
                   "driver not built")
    one_line_error(run(base + ["--config", CONFIG, "--out", out, "--variants", "state_nosuch"]),
                   "--variants", "no variant 'state_nosuch'")
    check(not os.path.exists(os.path.join(out, "metrics.json")), "no metrics.json after errors")


def driver(args, name, paper_dir, *extra):
    return run([os.path.join(args.bin, f"paper_{name}"), "--config", CONFIG, "--profile", "quick",
                "--out", os.path.join(paper_dir, name), "--paper-dir", paper_dir, *extra])


@test
def drivers_report_bad_input_in_one_line_and_write_nothing(tmp, args):
    paper_dir = os.path.join(tmp, "paper")
    one_line_error(driver(args, "cohort", paper_dir, "--nwb", os.path.join(tmp, "no.nwb")),
                   "cohort: error:", "no.nwb", "not found")
    not_nwb = os.path.join(tmp, "not.nwb")
    with open(not_nwb, "w") as f:
        f.write("plain text")
    one_line_error(driver(args, "cohort", paper_dir, "--nwb", not_nwb), "not.nwb")
    check(not os.path.exists(os.path.join(paper_dir, "cohort", "metrics.json")) and
          not os.path.exists(os.path.join(paper_dir, "cohort", "nwb_cohort.json")),
          "a failed cohort step leaves no manifest or metrics")
    for name in ("data", "cross_state"):
        one_line_error(driver(args, name, paper_dir), f"{name}: error:",
                       "run the cohort experiment first")
        check(not os.path.exists(os.path.join(paper_dir, name, "metrics.json")), "no metrics")
    one_line_error(driver(args, "data", paper_dir, "--profile"), "data: error:", "--profile",
                   "missing")


@test
def real_nwb_files_run_through_every_experiment(tmp, args):
    paper_dir = os.path.join(tmp, "real")
    cohort = driver(args, "cohort", paper_dir, "--nwb", args.fixture)
    check(cohort.returncode == 0, cohort.stderr)
    manifest = json.load(open(os.path.join(paper_dir, "cohort", "nwb_cohort.json")))
    check(manifest["format"] == "jepasnn-paper-nwb-cohort" and len(manifest["sessions"]) == 1,
          "manifest lists the file")
    s = manifest["sessions"][0]
    check(s["name"] == "vbn_like_small" and s["units"] == 40 and s["spikes"] == 109013 and
          s["active_block"] == 0 and s["passive_block"] == 5, f"manifest entry {s}")
    metrics = json.load(open(os.path.join(paper_dir, "cohort", "metrics.json")))
    check(metrics["ground_truth"] is False, "real data has no ground truth")
    check(not os.path.exists(os.path.join(paper_dir, "cohort", "sessions")), "no simulated cohort")
    for name in ("data", "cross_state"):
        proc = driver(args, name, paper_dir)
        check(proc.returncode == 0, f"{name}: {proc.stderr}")
    data = json.load(open(os.path.join(paper_dir, "data", "metrics.json")))
    check(data["units_before_qc"] == 40 and data["display_session"] == "vbn_like_small",
          f"data metrics {data}")
    funnel = json.load(open(os.path.join(paper_dir, "data", "funnel.json")))["sessions"][0]
    check(funnel["total"] - sum(st["removed"] for st in funnel["steps"]) == funnel["kept"] ==
          data["units_after_qc"], "funnel adds up")
    cross = json.load(open(os.path.join(paper_dir, "cross_state", "metrics.json")))
    check(cross["ground_truth_available"] is False and cross["latents_available"] is False,
          "no ground truth, no teacher")
    check("raw_transfer_accuracy" in cross and "latent_transfer_accuracy" not in cross and
          "ground_truth_transfer_accuracy" not in cross, f"cross_state keys {sorted(cross)}")
    check(all(0.0 <= cross[k] <= 1.0 for k in cross if k.endswith("_accuracy")), "accuracies")
    # The teacher and the student run on real files too (no ground truth, no held-out session
    # with one file); with the teacher's latents present, cross_state adds a fourth representation.
    for name in ("teacher", "student"):
        proc = driver(args, name, paper_dir)
        check(proc.returncode == 0, f"{name}: {proc.stderr}")
    teacher = json.load(open(os.path.join(paper_dir, "teacher", "metrics.json")))
    check(teacher["gt_recovery_r2"] is None and teacher["effective_rank"] > 1.0 and
          teacher["evaluated_on"] == "training_sessions", f"teacher metrics {teacher}")
    described = json.load(open(os.path.join(paper_dir, "teacher", "teacher.json")))
    entry = described["sessions"][0]
    check(entry["name"] == "vbn_like_small" and entry["heldout"] is False, f"latents {entry}")
    student = json.load(open(os.path.join(paper_dir, "student", "metrics.json")))
    check(student["session"] == "vbn_like_small" and student["units"] == 40 and
          student["dale_violations"] == 0 and student["cca_heldout"] > student["cca_null_95"],
          f"student metrics {student}")
    proc = driver(args, "cross_state", paper_dir)
    check(proc.returncode == 0, proc.stderr)
    cross = json.load(open(os.path.join(paper_dir, "cross_state", "metrics.json")))
    dims = cross["dimensions"]  # PCA has the latents' dimension, at most the units after QC
    check(cross["latents_available"] is True and dims["latent"] == 16 and
          dims["pca"] == min(16, dims["raw"]), f"latent dimensions {dims}")
    # The teacher contract requires a latents file for every session of the cohort.
    import numpy as np
    latents = os.path.join(paper_dir, "teacher", "latents_vbn_like_small.npy")
    os.remove(latents)
    proc = driver(args, "cross_state", paper_dir)
    one_line_error(proc, "latents_vbn_like_small.npy", "teacher latents missing")
    rng = np.random.default_rng(7)
    np.save(latents, rng.normal(size=(28000, 3)))
    proc = driver(args, "cross_state", paper_dir)
    check(proc.returncode == 0, proc.stderr)
    cross = json.load(open(os.path.join(paper_dir, "cross_state", "metrics.json")))
    # Noise latents carry no image information: near chance, far below raw counts within state.
    check(cross["latent_within_state_accuracy"] < cross["raw_within_state_accuracy"],
          "noise latents decode worse than raw counts")
    np.save(latents, rng.normal(size=(100, 3)))
    one_line_error(driver(args, "cross_state", paper_dir), "needs latent rows")
    # A teacher.json of another format is refused, not half-read.
    described_path = os.path.join(paper_dir, "teacher", "teacher.json")
    json.dump(dict(described, format="jepasnn-teacher-latents-v0"), open(described_path, "w"))
    one_line_error(driver(args, "cross_state", paper_dir), "teacher.json",
                   "format is 'jepasnn-teacher-latents-v0'")
    # A simulated config with nwb_files given in the profile resolves them against the config.
    cfg = json.load(open(CONFIG))
    cfg["profiles"]["quick"]["cohort"]["nwb_files"] = [os.path.relpath(args.fixture, tmp)]
    cfg_path = os.path.join(tmp, "config.json")
    json.dump(cfg, open(cfg_path, "w"))
    proc = run([os.path.join(args.bin, "paper_cohort"), "--config", cfg_path, "--profile", "quick",
                "--out", os.path.join(tmp, "p2", "cohort"), "--paper-dir", os.path.join(tmp, "p2")])
    check(proc.returncode == 0, proc.stderr)
    check(os.path.exists(os.path.join(tmp, "p2", "cohort", "nwb_cohort.json")), "nwb_files used")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", required=True)
    p.add_argument("--fixture", required=True)
    args = p.parse_args()
    args.fixture = os.path.abspath(args.fixture)
    failed = 0
    for t in TESTS:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                if t.__code__.co_argcount == 2:
                    t(tmp, args)
                else:
                    t(tmp)
                print(f"ok   {t.__name__}")
            except Exception:  # report every failing test, then fail
                failed += 1
                print(f"FAIL {t.__name__}\n{traceback.format_exc()}")
    print(f"{len(TESTS) - failed}/{len(TESTS)} harness tests passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
