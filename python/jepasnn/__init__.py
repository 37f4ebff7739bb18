"""jepasnn for Python: the library's C++ headers behind a numpy API.

Sessions (NWB files), binning by the 10 ms rule, the VBN-like simulator and every
representational-similarity measure, computed by the same code as the ``jepasnn`` command-line
tool: same inputs, same numbers, same one-line error messages (``ValueError`` for bad input,
``FileNotFoundError`` for a missing file).

>>> import jepasnn
>>> cohort = jepasnn.simulate("cohort", seed=1, profile="quick")
>>> counts, unit_ids, bin_starts = jepasnn.bin(cohort.sessions[0], bin_ms=10, qc="default")
>>> jepasnn.cca(counts[:, :10], counts[:, 10:20]).mean_cca
"""

from ._jepasnn import Session, __version__, set_threads, threads
from .binning import Binned, bin
from .similarity import Similarity, cca
from .simulation import Cohort, simulate
from .student import Student
from .teacher import Teacher

__all__ = ["Binned", "Cohort", "Session", "Similarity", "Student", "Teacher", "__version__", "bin", "cca",
           "set_threads", "simulate", "threads"]
