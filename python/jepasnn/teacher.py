"""The LeJEPA teacher: trained on sessions (a simulated cohort or NWB files) from a config with
the keys of ``jepasnn train-teacher``'s JSON, then used to embed any session."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np

from . import _jepasnn
from .interop import tsdframe
from .progress import Progress, callback_of
from .simulation import Cohort


class Teacher:
    """A LeJEPA teacher (SIGReg by default), scikit-learn style.

    ``Teacher(**config)`` takes the keys of the CLI's teacher config (see
    ``examples/configs/teacher.json``): ``model``, ``encoder``, ``regularizer``,
    ``regularizer_config``, ``train``, ``readin``, ``adaptation``, ``evaluation`` and ``data``
    (``qc``, ``bin_ms``, ``heldout``, ``stores``); absent keys take the library's defaults, unknown
    ones are a ``ValueError``. Relative paths are taken from the working directory.

    After :meth:`fit`: ``metrics_`` (the CLI's metrics.json) and ``latents_`` (session name ->
    latents, bins x D, 10 ms bins from t = 0). A teacher from :meth:`load` has no ``metrics_``
    (None: they belong to the training run, which wrote them beside the checkpoint).
    """

    def __init__(self, **config):
        self.config = copy.deepcopy(config)
        self.metrics_: dict | None = None
        self.latents_: dict[str, np.ndarray] = {}
        self._trained = None

    def fit(self, sessions=None, *, progress: Progress = True, keep_latents: bool = True):
        """Trains on ``sessions``: a :class:`jepasnn.Cohort` or the directory of one (its ground
        truth is then evaluated), one NWB path or a list of them; None uses ``data`` of the
        config. Same config and sessions give bitwise the CLI's teacher for the same thread
        count. ``progress``: see :func:`jepasnn.progress.callback_of`."""
        config = copy.deepcopy(self.config)
        data = dict(config.get("data", {}))
        if sessions is not None:
            data.pop("cohort", None)
            data.pop("nwb", None)
            data.update(_data_source(sessions))
        config["data"] = data
        for key in ("train", "readin"):
            config[key] = {**config.get(key, {}), "progress": False}
        self._trained = _jepasnn._train_teacher(json.dumps(_jsonable(config)),
                                                callback_of(progress))
        self.metrics_ = json.loads(self._trained.metrics)
        latents = self._trained.take_latents()
        self.latents_ = {name: z for name, _, z in latents} if keep_latents else {}
        return self

    def transform(self, session, *, progress: Progress = True, output: str = "numpy"):
        """Latents (bins x D) of an NWB session: a session the teacher was trained on uses its
        own read-in; any other gets a read-in fitted with the encoder frozen (as
        ``jepasnn embed``). ``output="pynapple"``: a ``TsdFrame`` (columns ``z0``, ``z1``, ...,
        stamped at the bins' centres) instead of a numpy array."""
        if output not in ("numpy", "pynapple"):
            raise ValueError(f"Teacher.transform: output '{output}', expected 'numpy' or "
                             "'pynapple'")
        z, _, _, t_start, width = self._require().embed(_nwb_path(session), callback_of(progress))
        if output == "numpy":
            return z
        starts = t_start + np.arange(z.shape[0], dtype=np.float64) * width
        runs = np.array([[t_start, t_start + z.shape[0] * width]])
        return tsdframe(z, starts, width, [f"z{i}" for i in range(z.shape[1])], runs)

    def save(self, path) -> None:
        """Writes the teacher atomically as the CLI's teacher.ckpt (``jepasnn embed`` reads it)."""
        self._require().save(os.fspath(path))

    @classmethod
    def load(cls, path) -> "Teacher":
        """A teacher from a checkpoint written by :meth:`save` or ``jepasnn train-teacher``."""
        trained = _jepasnn._load_teacher(os.fspath(path))
        teacher = cls(**json.loads(trained.config))
        teacher._trained = trained
        return teacher

    @property
    def parameters_(self) -> np.ndarray:
        """Every trained parameter (float32), in the checkpoint's order."""
        return self._require().parameters

    def _require(self):
        if self._trained is None:
            raise RuntimeError("Teacher: not fitted (call fit or Teacher.load first)")
        return self._trained


def _data_source(sessions) -> dict:
    if isinstance(sessions, Cohort):
        return {"cohort": str(sessions.directory)}
    if isinstance(sessions, (str, os.PathLike)):
        path = Path(sessions)
        return {"cohort": str(path)} if path.is_dir() else {"nwb": [_nwb_path(path)]}
    return {"nwb": [_nwb_path(s) for s in sessions]}


def _nwb_path(session) -> str:
    from ._jepasnn import Session

    if isinstance(session, Session):
        return session.path
    path = os.fspath(session)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such NWB file")
    return path


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value
