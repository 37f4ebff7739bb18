"""jepasnn.qc: the document of `jepasnn qc --json`, and its figures against numpy and binning."""

import json
import subprocess

import numpy as np
import pytest

import jepasnn
from conftest import cli


@pytest.mark.parametrize("qc_filter", ["default", "none"])
def test_document_is_the_clis(cohort, qc_filter):
    path = str(cohort.sessions[0])
    report = jepasnn.qc(path, filter=qc_filter)
    done = subprocess.run([cli(), "qc", path, "--json", "--filter", qc_filter], check=True,
                          capture_output=True, text=True)
    assert report.document == json.loads(done.stdout)
    assert jepasnn.qc(jepasnn.Session(path), filter=qc_filter).document == report.document


def test_funnel_kept_units_and_rates(cohort):
    path = cohort.sessions[1]
    report = jepasnn.qc(path)
    session = jepasnn.Session(path)
    np.testing.assert_array_equal(report.unit_ids, session.unit_ids)
    # the kept units are the columns that bin(qc="default") keeps
    np.testing.assert_array_equal(report.kept_ids, jepasnn.bin(path, qc="default").unit_ids)
    remaining = [step["remaining"] for step in report.funnel]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == report.kept_ids.size
    assert sum(step["removed"] for step in report.funnel) == session.n_units - report.kept_ids.size
    # firing rate: spikes over the recomputation range (every unit's spikes lie inside it)
    start, stop = report.document["recomputed"]["range"]
    np.testing.assert_allclose(report.metrics["firing_rate"], session.n_spikes / (stop - start),
                               rtol=1e-12)
    for name in ("isi_violations", "presence_ratio", "amplitude_cutoff"):
        values = report.metrics[name]
        assert values.shape == (session.n_units,) and values.dtype == np.float64
    presence = report.metrics["presence_ratio"]
    assert np.all((presence >= 0) & (presence <= 1))


def test_bad_input(cohort, tmp_path):
    with pytest.raises(ValueError, match="unknown QC filter 'strict'"):
        jepasnn.qc(cohort.sessions[0], filter="strict")
    with pytest.raises(FileNotFoundError, match="absent.nwb"):
        jepasnn.qc(tmp_path / "absent.nwb")
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"not an HDF5 file" * 64)
    with pytest.raises(ValueError, match="bad.nwb"):
        jepasnn.qc(bad)
