"""Reading the units table of a VBN-size NWB file (2,000 units, ~9.6e7 spikes, 0.77 GB of spike
times): ours (NwbFile::read_units: ids, index, bulk spike_times read, then full validation of the
index and of every unit's spike times) against h5py reading the same three datasets into numpy
(no validation), each in its own process, the file in the page cache for both."""
from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results
from vbn_session import vbn_session

args = parse_args(__doc__)
with vbn_session(args) as (path, spikes):
    setup = f"""
        import h5py, numpy as np
        path = {path!r}
    """
    statement = ("f = h5py.File(path, 'r'); ids = f['units/id'][:]; "
                 "ends = f['units/spike_times_index'][:]; t = f['units/spike_times'][:]; f.close()")
    theirs_s, theirs_mib = run_theirs(setup, statement, repeat=3)
    cases = []
    for threads in (1, 2):
        ours_s, ours_mib, _ = run_ours(args.binary, "^BM_read_units/", threads=threads)
        cases.append({"case": f"read units table, {threads} thread(s) vs h5py",
                      "ours_s": ours_s, "theirs_s": theirs_s, "speedup": theirs_s / ours_s,
                      "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib,
                      "spikes": spikes, "ours_gb_per_s": spikes * 8 / ours_s / 1e9})
    write_results(args.out, "nwb_read", "h5py", cases, competitor_versions("h5py", "numpy"))
