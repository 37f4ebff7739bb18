"""pynapple interop, when pynapple is installed (the whole file is skipped otherwise)."""

import numpy as np
import pytest

import jepasnn
from conftest import SMALL_TEACHER

nap = pytest.importorskip("pynapple")


def test_tsgroup_is_binned_with_its_own_ids():
    trains = {3: nap.Ts(t=np.array([0.001, 0.015, 0.016])), 9: nap.Ts(t=np.array([0.032]))}
    group = nap.TsGroup(trains, time_support=nap.IntervalSet(0.0, 0.04))
    counts, ids, _ = jepasnn.bin(group, 10.0, t_start=0.0, t_stop=0.04)
    np.testing.assert_array_equal(ids, [3, 9])
    np.testing.assert_array_equal(counts, [[1, 0], [2, 0], [0, 0], [0, 1]])


def test_epochs_match_pynapples_own_count():
    rng = np.random.default_rng(11)
    trains = {i: nap.Ts(t=np.sort(rng.uniform(0.0, 30.0, size=n)))
              for i, n in enumerate([400, 50, 0, 900])}
    group = nap.TsGroup(trains, time_support=nap.IntervalSet(0.0, 30.0))
    epochs = nap.IntervalSet(start=[1.0, 12.5], end=[6.0, 20.0])  # whole numbers of 10 ms bins
    theirs = group.count(0.01, epochs)
    ours = jepasnn.bin(group, 10.0, epochs=epochs, output="pynapple")
    assert isinstance(ours, nap.TsdFrame)
    np.testing.assert_array_equal(ours.values, theirs.values)
    np.testing.assert_allclose(ours.t, theirs.t, rtol=0, atol=1e-9)
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.time_support.values, epochs.values)
    plain = jepasnn.bin(group, 10.0, epochs=epochs)
    np.testing.assert_array_equal(plain.counts, ours.values)
    np.testing.assert_allclose(plain.bin_starts, theirs.t - 0.005, atol=1e-9)


def test_epochs_of_a_file_are_its_ranges_one_after_another(cohort):
    path = cohort.sessions[0]
    epochs = nap.IntervalSet(start=[10.0, 40.0], end=[20.0, 45.0])
    both = jepasnn.bin(path, 10.0, epochs=epochs, qc="default")
    first = jepasnn.bin(path, 10.0, t_start=10.0, t_stop=20.0, qc="default")
    second = jepasnn.bin(path, 10.0, t_start=40.0, t_stop=45.0, qc="default")
    np.testing.assert_array_equal(both.counts, np.concatenate([first.counts, second.counts]))
    np.testing.assert_array_equal(both.bin_starts,
                                  np.concatenate([first.bin_starts, second.bin_starts]))
    with pytest.raises(ValueError, match="not both"):
        jepasnn.bin(path, 10.0, epochs=epochs, state="active")
    with pytest.raises(ValueError, match="pairs"):
        jepasnn.bin(path, 10.0, epochs=np.zeros((2, 3)))


def test_teacher_latents_as_a_tsdframe(small_cohort):
    teacher = jepasnn.Teacher(**SMALL_TEACHER).fit(small_cohort, progress=False)
    frame = teacher.transform(small_cohort.sessions[0], progress=False, output="pynapple")
    z = teacher.latents_["session_000"]
    assert isinstance(frame, nap.TsdFrame) and frame.shape == z.shape
    np.testing.assert_array_equal(frame.values, z)
    np.testing.assert_allclose(frame.t[:3], [0.005, 0.015, 0.025], atol=1e-12)
    assert list(frame.columns) == [f"z{i}" for i in range(z.shape[1])]
