"""Shared fixtures of the package's pytest suite (run by CTest against the package assembled in
the build tree; `pytest python/tests` after `pip install .` runs it against the installed one)."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def vbn_like_small():
    """The project's small VBN-layout NWB file and its independently written expectations."""
    path = Path(os.environ.get("JEPASNN_TEST_ASSETS_DIR", REPO / "tests" / "assets"))
    return path / "fixtures" / "vbn_like_small.nwb"


@pytest.fixture(scope="session")
def external_fixtures():
    """Third-party NWB files in ../shared/fixtures/external (skipped visibly when absent)."""
    shared = Path(os.environ.get("JEPASNN_SHARED_DIR", REPO.parent / "shared"))
    files = sorted((shared / "fixtures" / "external").glob("*.nwb"))
    if not files:
        pytest.skip(f"no external NWB fixtures in {shared / 'fixtures' / 'external'}")
    return files


@pytest.fixture(scope="session")
def cohort(tmp_path_factory):
    """A tiny simulated cohort: 2 sessions of about 40 units over 3 minutes."""
    import jepasnn

    out = tmp_path_factory.mktemp("cohort") / "sim"
    return jepasnn.simulate(out, seed=7, profile="quick", units=40, minutes=3)
