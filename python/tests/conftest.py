"""Shared fixtures of the package's pytest suite (run by CTest against the package assembled in
the build tree; `pytest python/tests` after `pip install .` runs it against the installed one)."""

import os
from pathlib import Path

import pytest

# A small teacher (H = 32, D = 8) that trains in about a second on small_cohort; session_002
# is held out.
SMALL_TEACHER = {
    "data": {"heldout": ["session_002"]},
    "model": {"hidden": 32, "latent": 8, "predictor_hidden": 32, "conv_kernel": 4, "horizon": 4,
              "burn_in": 8, "lambda": 0.05, "init_seed": 1},
    "regularizer_config": {"directions": 64},
    "train": {"seed": 3, "steps": 150, "batch_size": 16, "window": 48, "learning_rate": 3e-3,
              "warmup_steps": 15, "validate_every": 0, "validation_windows": 16,
              "checkpoint_every": 0, "split": {"block_bins": 1000}},
    "readin": {"seed": 4, "steps": 80, "batch_size": 16, "window": 48},
    "evaluation": {"sigreg_directions": 64},
}

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


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory):
    """3 sessions x ~60 units x 2 min, for the teacher and the student."""
    import jepasnn

    return jepasnn.simulate(tmp_path_factory.mktemp("small") / "cohort", seed=5, sessions=3,
                            units=60, minutes=2.0)


def peak_rss_growth_mb(call, times: int) -> float:
    """How much the peak RSS grows (MB) over `times` calls of `call`, after 20 warm-up calls:
    a leak of what each call allocates shows as times x its size."""
    import gc
    import resource

    for _ in range(20):
        call()
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    for _ in range(times):
        call()
    gc.collect()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def cli():
    """The jepasnn CLI built beside the package (CTest sets JEPASNN_CLI), else a visible skip."""
    path = os.environ.get("JEPASNN_CLI")
    if not path:
        pytest.skip("JEPASNN_CLI not set: no jepasnn CLI to compare with")
    return path
