"""pynapple interop, when pynapple is installed (the whole file is skipped otherwise)."""

import numpy as np
import pytest

import jepasnn

nap = pytest.importorskip("pynapple")


def test_tsgroup_is_binned_with_its_own_ids():
    trains = {3: np.array([0.001, 0.015, 0.016]), 9: np.array([0.032])}
    counts, ids, _ = jepasnn.bin(nap.TsGroup(trains), 10.0, t_start=0.0, t_stop=0.04)
    np.testing.assert_array_equal(ids, [3, 9])
    np.testing.assert_array_equal(counts, [[1, 0], [2, 0], [0, 0], [0, 1]])
