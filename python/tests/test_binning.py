"""jepasnn.bin against the binning rule written in numpy, numpy's histogram, the CLI and bad
input."""

import subprocess

import numpy as np
import pytest

import jepasnn
from conftest import cli, peak_rss_growth_mb

TOLERANCE = 1e-9  # DESIGN.md's binning rule: bin(t) = floor((t - t0 + 1e-9) / width)


def rule_counts(trains, t0, width, n_bins):
    """DESIGN.md's rule, written independently with numpy."""
    out = np.zeros((n_bins, len(trains)), dtype=np.int64)
    for j, t in enumerate(trains):
        b = np.floor((np.asarray(t) - t0 + TOLERANCE) / width).astype(np.int64)
        b = b[(b >= 0) & (b < n_bins)]
        out[:, j] = np.bincount(b, minlength=n_bins)
    return out


def random_trains(rng, units, duration, rate_hz):
    return [np.sort(rng.uniform(-0.5, duration + 0.5, rng.poisson(rate_hz * duration)))
            for _ in range(units)]


@pytest.mark.parametrize("seed", range(8))
def test_bin_equals_the_rule_and_numpy_histogram_on_random_spikes(seed):
    rng = np.random.default_rng(seed)
    bin_ms = float(rng.choice([1.0, 2.5, 10.0, 33.0]))
    duration = float(rng.uniform(1.0, 20.0))
    trains = random_trains(rng, int(rng.integers(1, 40)), duration, rate_hz=float(rng.uniform(1, 80)))
    ids = rng.permutation(1000)[: len(trains)]
    counts, unit_ids, starts = jepasnn.bin(trains, bin_ms, t_start=0.0, t_stop=duration,
                                           unit_ids=ids, dtype="int32")
    width = bin_ms / 1000.0
    n_bins = int(np.floor(duration / width + TOLERANCE))
    assert counts.shape == (n_bins, len(trains)) and counts.dtype == np.int32
    np.testing.assert_array_equal(unit_ids, ids)
    np.testing.assert_array_equal(starts, np.arange(n_bins) * width)
    np.testing.assert_array_equal(counts, rule_counts(trains, 0.0, width, n_bins))
    # numpy's histogram agrees wherever no spike lies within the rule's 1 ns of an edge.
    edges = np.arange(n_bins + 1) * width
    for j, t in enumerate(trains):
        inside = t[(t >= 0.0) & (t < edges[-1])]
        if np.any(np.abs(inside[:, None] - edges[None, :]) < 1e-6):
            continue
        np.testing.assert_array_equal(counts[:, j], np.histogram(inside, edges)[0])


def test_narrowest_type_and_overflow_named_by_unit_and_bin():
    trains = [np.full(300, 0.0155), np.array([0.001])]
    counts, _, _ = jepasnn.bin(trains, 10.0, t_start=0.0, t_stop=0.05, unit_ids=[11, 12])
    assert counts.dtype == np.uint16 and counts[1, 0] == 300
    small, _, _ = jepasnn.bin([np.array([0.001, 0.002])], 10.0, t_start=0.0, t_stop=0.05)
    assert small.dtype == np.uint8
    with pytest.raises(ValueError, match=r"id 11.*bin 1 "):
        jepasnn.bin(trains, 10.0, t_start=0.0, t_stop=0.05, unit_ids=[11, 12], dtype="uint8")


@pytest.mark.parametrize("trains, kwargs, message", [
    ([np.array([0.2, 0.1])], {}, "not sorted"),
    ([np.array([0.1, np.nan])], {}, "finite"),
    ([np.array([0.1])], {"bin_ms": 0.0}, "bin_ms"),
    ([np.array([0.1])], {"t_start": 0.0}, "together"),
    ([np.array([0.1])], {"dtype": "int8"}, "int8"),
    ([np.array([0.1])], {"state": "active"}, "NWB file or a Session"),
    ([np.array([0.1])], {"t_start": 1.0, "t_stop": 0.0}, "1"),
])
def test_bad_input_is_a_value_error_with_the_library_message(trains, kwargs, message):
    kwargs.setdefault("bin_ms", 10.0)
    with pytest.raises(ValueError, match=message):
        jepasnn.bin(trains, **kwargs)


def test_file_session_and_cli_give_the_same_counts(cohort, tmp_path):
    path = cohort.sessions[0]
    from_file = jepasnn.bin(path, 10.0, qc="default", state="passive")
    from_session = jepasnn.bin(jepasnn.Session(path), 10.0, qc="default", state="passive")
    for a, b in zip(from_file, from_session):
        np.testing.assert_array_equal(a, b)
    assert from_file.counts.dtype == np.uint8 and from_file.counts.sum() > 0
    out = tmp_path / "counts.npy"
    subprocess.run([cli(), "bin", str(path), "--bin-ms", "10", "--qc", "default", "--state",
                    "passive", "--out", str(out)], check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(out), from_file.counts)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such"):
        jepasnn.bin(tmp_path / "absent.nwb")
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"not an HDF5 file" * 64)
    with pytest.raises(ValueError, match="bad.nwb"):
        jepasnn.bin(bad)


def test_counts_outlive_their_source_and_repeated_calls_do_not_grow_memory():
    rng = np.random.default_rng(1)
    trains = random_trains(rng, 50, 60.0, 20.0)  # 6,000 bins x 50 units: 300 kB of uint8
    first = jepasnn.bin(trains, 10.0, t_start=0.0, t_stop=60.0).counts.copy()
    last = []

    def call():  # a leaked result would add 400 x 300 kB = 120 MB
        last[:] = [jepasnn.bin(trains, 10.0, t_start=0.0, t_stop=60.0).counts]

    grown_mb = peak_rss_growth_mb(call, 400)
    assert grown_mb < 30, f"peak RSS grew {grown_mb:.0f} MB over 400 calls"
    np.testing.assert_array_equal(last[0], first)
