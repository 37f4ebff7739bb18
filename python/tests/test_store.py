"""jepasnn.Store: the store of `jepasnn bin --store`, read by window, checked against h5py, the
in-memory binning and its source file."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import jepasnn
from conftest import cli, peak_rss_growth_mb


@pytest.fixture(scope="module")
def stored(cohort, tmp_path_factory):
    path = cohort.sessions[0]
    out = tmp_path_factory.mktemp("store") / "s0.h5"
    return path, jepasnn.Store.create(path, out, 10.0, qc="default")


def test_store_holds_the_binned_counts_and_the_clis_bytes(stored, tmp_path):
    path, store = stored
    binned = jepasnn.bin(path, 10.0, qc="default")
    counts = store.read()
    assert counts.dtype == binned.counts.dtype == store.dtype
    np.testing.assert_array_equal(counts, binned.counts)
    np.testing.assert_array_equal(store.unit_ids, binned.unit_ids)
    np.testing.assert_array_equal(store.bin_starts, binned.bin_starts)
    assert len(store) == counts.shape[0] and store.n_units == counts.shape[1]
    assert store.bin_ms == 10.0 and store.qc == "default" and store.source == str(path)
    assert store.source_identifier == jepasnn.Session(path).identifier
    cli_store = tmp_path / "cli.h5"
    subprocess.run([cli(), "bin", str(path), "--bin-ms", "10", "--qc", "default", "--store",
                    str(cli_store)], check=True, capture_output=True)
    theirs = jepasnn.Store(cli_store)
    np.testing.assert_array_equal(theirs.read(), counts)
    np.testing.assert_array_equal(theirs.states, store.states)
    np.testing.assert_array_equal(theirs.unit_rows, store.unit_rows)


def test_windows_and_states_against_h5py(stored):
    h5py = pytest.importorskip("h5py")
    _, store = stored
    with h5py.File(store.path, "r") as f:
        everything = f["counts"][...]
        states = f["state"][...]
    np.testing.assert_array_equal(store.states, states)
    assert set(np.unique(states)) <= {-1, 0, 1} and (states == 1).any() and (states == 0).any()
    rng = np.random.default_rng(4)
    for _ in range(20):
        a = int(rng.integers(0, len(store)))
        b = int(rng.integers(a, len(store) + 1))
        np.testing.assert_array_equal(store[a:b], everything[a:b])
    np.testing.assert_array_equal(store[-5:], everything[-5:])
    assert store.read(len(store), 0).shape == (0, store.n_units)


def test_a_store_whose_source_changed_is_refused(cohort, tmp_path):
    nwb = tmp_path / "copy.nwb"
    shutil.copyfile(cohort.sessions[1], nwb)
    store = jepasnn.Store.create(nwb, tmp_path / "copy.h5", 20.0, state="active")
    assert store.source_status() == "unchanged"
    store.check_source()
    with open(nwb, "ab") as f:
        f.write(b"\0")
    assert store.source_status() == "changed"
    with pytest.raises(ValueError, match="stale"):
        store.check_source()
    os.remove(nwb)
    assert store.source_status() == "missing"
    with pytest.raises(ValueError, match="does not exist"):
        store.check_source(nwb)


def test_bad_input_leaves_no_store(cohort, tmp_path):
    path = cohort.sessions[0]
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        jepasnn.Store(tmp_path / "absent.h5")
    with pytest.raises(ValueError, match="not a binned store"):
        jepasnn.Store(path)
    out = tmp_path / "overflow.h5"
    with pytest.raises(ValueError, match="uint8"):
        jepasnn.Store.create(path, out, 60_000.0, dtype="uint8")  # minute bins: counts > 255
    assert not out.exists()
    with pytest.raises(ValueError, match="bin_ms"):
        jepasnn.Store.create(path, out, 0.0)
    assert not out.exists()
    store = jepasnn.Store.create(path, out, 10.0)
    with pytest.raises(ValueError, match="runs past"):
        store.read(len(store) - 1, 2)
    with pytest.raises(TypeError, match="slice"):
        store[3]


def test_python_threads_take_turns_in_hdf5(stored):
    from concurrent.futures import ThreadPoolExecutor

    path, store = stored
    expected = jepasnn.bin(path, 10.0, qc="default").counts

    def work(i):
        return jepasnn.bin(path, 10.0, qc="default").counts if i % 2 else store.read()

    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(work, range(16)):
            np.testing.assert_array_equal(got, expected)


def test_opening_and_reading_again_leaks_neither_memory_nor_files(stored):
    _, store = stored
    path = store.path
    window = store.read()  # bins x units of uint8: a leaked read adds its size each time
    fds = len(os.listdir("/proc/self/fd"))
    grown_mb = peak_rss_growth_mb(lambda: jepasnn.Store(path).read(), 200)
    assert grown_mb < max(30, 200 * window.nbytes / 2**20 / 4), f"peak RSS grew {grown_mb:.0f} MB"
    assert len(os.listdir("/proc/self/fd")) == fds  # every store closed its file
