"""The synthetic VBN-size session shared by the data module's comparisons: bench_data writes it
as NWB into a temporary directory (JEPASNN_BENCH_DATA) that the Python competitors then read."""
import contextlib
import os
import shutil
import tempfile

from compare_common import run_ours


@contextlib.contextmanager
def vbn_session(args):
    """Yields (path of the NWB file, number of spikes); removes the directory afterwards."""
    if args.quick:
        os.environ["JEPASNN_BENCH_QUICK"] = "1"
    data_dir = tempfile.mkdtemp(prefix="jepasnn-bench-data-")
    os.environ["JEPASNN_BENCH_DATA"] = data_dir
    try:
        _, _, prep = run_ours(args.binary, "^BM_prepare_session_file/", min_time=0)
        yield prep["label"], int(prep["spikes"])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
