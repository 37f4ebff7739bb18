"""jepasnn.Session against independently written expectations and against pynwb, the NWB
reference reader."""

import json

import numpy as np
import pytest

import jepasnn


def test_session_matches_the_fixtures_expectations(vbn_like_small):
    expected = json.loads(vbn_like_small.with_name(vbn_like_small.name + ".expected.json").read_text())
    s = jepasnn.Session(vbn_like_small)
    assert s.n_units == expected["n_units"]
    np.testing.assert_array_equal(s.unit_ids, expected["unit_ids"])
    np.testing.assert_array_equal(s.n_spikes, expected["n_spikes"])
    assert s.areas == expected["location"]
    assert s.units["quality"] == expected["quality"]
    for u in range(s.n_units):
        t = s.spike_times(u)
        assert t[0] == expected["first_spike"][u] and t[-1] == expected["last_spike"][u]
    got = [{k: b[k] for k in ("block", "active", "start", "stop")} for b in s.blocks]
    assert got == expected["blocks"]
    assert "jepasnn.Session" in repr(s)


def test_spike_times_are_a_read_only_view_that_keeps_the_session_alive(vbn_like_small):
    t = jepasnn.Session(vbn_like_small).spike_times(0)
    assert not t.flags.writeable and np.all(np.diff(t) >= 0)
    with pytest.raises(ValueError):
        t[0] = 1.0
    with pytest.raises(ValueError, match="out of range"):
        jepasnn.Session(vbn_like_small).spike_times(10_000)


def compare_with_pynwb(path):
    pynwb = pytest.importorskip("pynwb")
    ours = jepasnn.Session(path)
    with pynwb.NWBHDF5IO(str(path), "r", load_namespaces=True) as io:
        nwb = io.read()
        assert ours.identifier == nwb.identifier
        units = nwb.units
        np.testing.assert_array_equal(ours.unit_ids, units.id[:])
        for u in range(len(units.id)):
            np.testing.assert_array_equal(ours.spike_times(u), units["spike_times"][u])
        for name, table in (nwb.intervals or {}).items():
            assert name in ours.intervals
            for col in ("start_time", "stop_time"):
                np.testing.assert_array_equal(ours.intervals[name][col], table[col][:])
    return ours


def test_session_equals_pynwb_on_simulated_files(cohort):
    for path in cohort.sessions:
        ours = compare_with_pynwb(path)
        speed = ours.running_speed
        assert speed is not None and speed["values"].size == speed["timestamps"].size > 0
        assert sum(b["active"] for b in ours.blocks) == 1


def test_session_equals_pynwb_on_external_files(external_fixtures):
    for path in external_fixtures:
        compare_with_pynwb(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.nwb"):
        jepasnn.Session(tmp_path / "absent.nwb")
    foreign = tmp_path / "foreign.nwb"
    foreign.write_text("hello")
    with pytest.raises(ValueError, match="foreign.nwb"):
        jepasnn.Session(foreign)


def test_simulate_refuses_a_full_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="empty"):
        jepasnn.simulate(tmp_path, seed=1, profile="quick")
    assert (tmp_path / "keep.txt").exists()
    with pytest.raises(ValueError, match="profile"):
        jepasnn.simulate(tmp_path / "new", seed=1, profile="huge")
