"""The bio-constrained spiking student: a recurrent E/I network of LIF neurons distilled from
teacher latents and binned counts (Deep CCA, Dale's principle, 5-20 Hz homeostasis), as
``jepasnn distill`` trains it."""

from __future__ import annotations

import copy
import json
import os

import numpy as np

from . import _jepasnn
from .progress import Progress, callback_of


class Student:
    """A LIF student, scikit-learn style.

    ``Student(**config)`` takes the keys of the ``student`` object of the CLI's distillation
    config (``examples/configs/distill.json``); absent keys take the library's defaults, unknown
    ones are a ``ValueError``.

    After :meth:`fit`: ``metrics_`` (held-out CCA against the teacher with its null, rates,
    bands, Dale violations, ... as in the CLI's metrics.json), ``history_`` (the CLI's
    history.json) and ``dale_violations_``. :meth:`load` reads a student back from its
    checkpoint (its history included; ``metrics_`` is None: the evaluation needs the data).
    """

    def __init__(self, **config):
        self.config = copy.deepcopy(config)
        self.metrics_: dict | None = None
        self.history_: dict | None = None
        self._trained = None

    def fit(self, latents, counts, *, bin_ms: float = 10.0, progress: Progress = True):
        """Distils ``latents`` (bins x D, float64: the teacher's, e.g. ``Teacher.latents_``)
        from ``counts`` (bins x units, uint8/uint16/int32 as :func:`jepasnn.bin` returns them,
        on the same bins). With the counts of ``jepasnn.bin(path, bin_ms, t_start=0,
        t_stop=bins * bin_ms / 1000, qc=...)`` the student is bitwise the CLI's."""
        latents = np.ascontiguousarray(latents, dtype=np.float64)
        counts = np.ascontiguousarray(counts)
        self._trained = _jepasnn._train_student(json.dumps(self.config), latents, counts,
                                                float(bin_ms), callback_of(progress))
        self.metrics_ = json.loads(self._trained.metrics)
        self.history_ = json.loads(self._trained.history)
        return self

    def transform(self, counts) -> np.ndarray:
        """The student's readout (bins x D) driven by ``counts`` (bins x the units it was
        trained on), scaled by the input gains fitted in training."""
        return self._require().run(np.ascontiguousarray(counts))[0]

    def rates_hz(self, counts) -> np.ndarray:
        """Each neuron's mean firing rate (Hz) while driven by ``counts``: E neurons first."""
        return self._require().run(np.ascontiguousarray(counts))[1]

    @property
    def dale_violations_(self) -> int:
        """Synapses whose sign breaks Dale's principle (0 after every projected step)."""
        return int(self._require().dale_violations)

    def save(self, path) -> None:
        """Writes the student's checkpoint atomically (the CLI's student.ckpt; a loaded student
        is written back byte for byte)."""
        self._require().save(os.fspath(path))

    @classmethod
    def load(cls, path) -> "Student":
        """A student from a checkpoint written by :meth:`save` or ``jepasnn distill``, ready to
        :meth:`transform` counts of the units it was trained on."""
        trained = _jepasnn._load_student(os.fspath(path))
        student = cls(**json.loads(trained.config))
        student._trained = trained
        student.history_ = json.loads(trained.history)
        return student

    def _require(self):
        if self._trained is None:
            raise RuntimeError("Student: not fitted (call fit or Student.load first)")
        return self._trained
