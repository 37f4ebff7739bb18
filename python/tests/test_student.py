"""jepasnn.Student: bitwise the CLI's student on the same session and latents, its readout and
rates, and bad input."""

import json
import subprocess

import numpy as np
import pytest

import jepasnn
from conftest import SMALL_TEACHER, cli

# A small student (40 neurons, 6 steps) that trains in about a second.
SMALL_STUDENT = {"neurons": 40, "steps": 6, "batch": 4, "window_bins": 30, "burn_in_bins": 5,
                 "warmup_steps": 2, "block_bins": 200, "eval_every": 3, "monitor_windows": 4,
                 "eval_segments": 2, "eval_chunk_bins": 100, "null_samples": 20,
                 "checkpoint_every": 3, "seed": 7}


@pytest.fixture(scope="module")
def session_data(small_cohort):
    """Teacher latents of session_000 and its counts on the same bins (QC none, from t = 0)."""
    z = jepasnn.Teacher(**SMALL_TEACHER).fit(small_cohort, progress=False).latents_["session_000"]
    path = small_cohort.sessions[0]
    counts = jepasnn.bin(path, 10.0, t_start=0.0, t_stop=z.shape[0] / 100.0).counts
    return path, z, counts


@pytest.fixture(scope="module")
def fitted(session_data):
    _, z, counts = session_data
    return jepasnn.Student(**SMALL_STUDENT).fit(z, counts, progress=False)


def test_fit_is_bitwise_the_clis_student(session_data, fitted, tmp_path):
    path, z, counts = session_data
    assert counts.shape[0] == z.shape[0]
    np.save(tmp_path / "z.npy", z)
    (tmp_path / "distill.json").write_text(json.dumps(
        {"nwb": str(path), "latents": "z.npy", "qc": "none", "out": "run",
         "student": SMALL_STUDENT}))
    subprocess.run([cli(), "distill", "--config", str(tmp_path / "distill.json"), "--quiet"],
                   check=True, capture_output=True)
    cli_metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {k: cli_metrics[k] for k in fitted.metrics_} == fitted.metrics_
    assert json.loads((tmp_path / "run" / "history.json").read_text()) == fitted.history_
    fitted.save(tmp_path / "student.ckpt")
    assert (tmp_path / "student.ckpt").read_bytes() == (tmp_path / "run" / "student.ckpt").read_bytes()


def test_readout_rates_and_dale(session_data, fitted):
    _, z, counts = session_data
    readout = fitted.transform(counts)
    assert readout.shape == z.shape and np.all(np.isfinite(readout))
    np.testing.assert_array_equal(fitted.transform(counts), readout)  # deterministic
    rates = fitted.rates_hz(counts)
    assert rates.shape == (SMALL_STUDENT["neurons"],) and np.all(rates >= 0)
    assert fitted.dale_violations_ == 0
    assert fitted.metrics_["mean_rate_hz_exc"] == pytest.approx(
        rates[: rates.size * 4 // 5].mean(), rel=1e-9)
    assert 0.0 <= fitted.metrics_["cca_heldout"] <= 1.0


def test_bad_input(session_data, fitted):
    _, z, counts = session_data
    with pytest.raises(ValueError, match="bins"):
        jepasnn.Student(**SMALL_STUDENT).fit(z[:-5], counts, progress=False)
    with pytest.raises(ValueError, match="uint8, uint16 or int32"):
        jepasnn.Student(**SMALL_STUDENT).fit(z, counts.astype(np.float64), progress=False)
    bad = z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="row 3, column 1"):
        jepasnn.Student(**SMALL_STUDENT).fit(bad, counts, progress=False)
    with pytest.raises(ValueError, match="neuronz"):
        jepasnn.Student(neuronz=3).fit(z, counts, progress=False)
    with pytest.raises(ValueError, match="units"):
        fitted.transform(counts[:, :-1])
    with pytest.raises(RuntimeError, match="not fitted"):
        jepasnn.Student().transform(counts)


def test_load_runs_like_the_trained_student_and_saves_the_same_bytes(session_data, fitted,
                                                                     tmp_path):
    _, _, counts = session_data
    fitted.save(tmp_path / "student.ckpt")
    loaded = jepasnn.Student.load(tmp_path / "student.ckpt")
    assert loaded.config == json.loads(fitted._trained.config)
    assert loaded.history_ == fitted.history_ and loaded.metrics_ is None
    np.testing.assert_array_equal(loaded.transform(counts), fitted.transform(counts))
    np.testing.assert_array_equal(loaded.rates_hz(counts), fitted.rates_hz(counts))
    assert loaded.dale_violations_ == 0
    loaded.save(tmp_path / "again.ckpt")
    assert (tmp_path / "again.ckpt").read_bytes() == (tmp_path / "student.ckpt").read_bytes()
    with pytest.raises(ValueError, match="units"):
        loaded.transform(counts[:, 1:])


def test_load_refuses_what_is_not_a_student(tmp_path, small_cohort):
    with pytest.raises(FileNotFoundError, match="absent.ckpt"):
        jepasnn.Student.load(tmp_path / "absent.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"junk" * 100)
    with pytest.raises(ValueError, match="junk.ckpt"):
        jepasnn.Student.load(tmp_path / "junk.ckpt")
    teacher = jepasnn.Teacher(**SMALL_TEACHER).fit(small_cohort, progress=False,
                                                   keep_latents=False)
    teacher.save(tmp_path / "teacher.ckpt")
    with pytest.raises(ValueError, match="teacher.ckpt"):
        jepasnn.Student.load(tmp_path / "teacher.ckpt")
