#!/usr/bin/env python3
"""What pynwb (the reference NWB reader) sees in a file, as JSON on stdout: the units table
(ids, spikes per unit, columns), every interval table's rows, the running speed and the
electrodes. The data module's tests compare it with jepasnn's own reading.

Usage: <python with pynwb> pynwb_summary.py FILE.nwb
Exit status 3 when pynwb is not importable (the test then skips)."""
import json
import sys
import warnings

try:
    from pynwb import NWBHDF5IO
except ImportError:
    sys.exit(3)

warnings.simplefilter("error")  # a warning while reading means the file is not clean NWB
with NWBHDF5IO(sys.argv[1], "r") as io:
    nwb = io.read()
    units = nwb.units
    out = {
        "identifier": nwb.identifier,
        "n_units": len(units),
        "ids": [int(i) for i in units.id[:]],
        "n_spikes": [len(units["spike_times"][i]) for i in range(len(units))],
        "unit_columns": sorted(units.colnames),
        "intervals": {name: len(table) for name, table in nwb.intervals.items()},
        "running_samples": len(nwb.processing["running"]["speed"].data),
        "running_unit": nwb.processing["running"]["speed"].unit,
        "electrodes": len(nwb.electrodes),
        "quality": [str(q) for q in units["quality"][:]],
    }
print(json.dumps(out))
