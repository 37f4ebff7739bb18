"""The VBN-like simulator: a cohort of NWB sessions with known ground-truth latents, written as
``jepasnn simulate`` writes it (same seed, same files)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import _jepasnn


@dataclass(frozen=True)
class Cohort:
    """Where the cohort lies, its session files in order and its manifest."""

    directory: Path
    sessions: list[Path]
    manifest: dict = field(repr=False)


def simulate(out, seed: int, *, profile: str = "default", sessions: int | None = None,
             units: int | None = None, minutes: float | None = None,
             state_regime: str = "easy", amplitudes: bool = True) -> Cohort:
    """Simulates a cohort into the directory ``out`` (absent or empty; it appears complete or
    not at all).

    profile
        Base sizes: ``"default"`` (4 sessions x ~400 units x 24 min), ``"quick"`` (2 x ~120 x
        4 min) or ``"vbn-scale"`` (1 x ~2000 x 150 min); ``sessions``, ``units`` (mean per
        session) and ``minutes`` override them.
    state_regime
        ``"easy"`` (per-unit gain and baseline per block) or ``"realistic"`` (drifting
        engagement, per-input gains, a task-only population mode).
    amplitudes
        False leaves out spike amplitudes (halves the files).
    """
    out = Path(os.fspath(out))
    manifest = json.loads(_jepasnn._simulate(
        os.fspath(out), int(seed), profile, sessions, units, minutes, state_regime,
        bool(amplitudes)))
    files = [out / s["nwb"] for s in manifest["sessions"]]
    return Cohort(out, files, manifest)
