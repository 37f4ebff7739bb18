"""jepasnn for Python: the library's C++ headers behind a numpy API.

Sessions (NWB files), unit QC, binning by the 10 ms rule into numpy or a binned store, the
VBN-like simulator, every representational-similarity measure, the LeJEPA teacher and the LIF
student, computed by the same code as the ``jepasnn`` command-line
tool: same inputs, same numbers, same one-line error messages (``ValueError`` for bad input,
``FileNotFoundError`` for a missing file).

>>> import jepasnn
>>> cohort = jepasnn.simulate("cohort", seed=1, profile="quick")
>>> counts, unit_ids, bin_starts = jepasnn.bin(cohort.sessions[0], bin_ms=10, qc="default")
>>> jepasnn.cca(counts[:, :10], counts[:, 10:20]).mean_cca
"""

from ._jepasnn import Session, __version__, set_threads, threads
from .binning import Binned, bin
from .quality import QcReport, qc
from .similarity import Similarity, cca
from .simulation import Cohort, simulate
from .store import Store
from .student import Student
from .teacher import Teacher

__all__ = ["Binned", "Cohort", "QcReport", "Session", "Similarity", "Store", "Student", "Teacher",
           "__version__", "bin", "cca", "qc", "set_threads", "simulate", "threads"]
