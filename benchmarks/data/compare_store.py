"""Reading random windows of W bins x 2,000 units from the VBN-size session's binned store (uint8
counts at 10 ms, 900,000 bins, unfiltered 256 KiB chunks along time), the access pattern of
training: ours (BinnedStore::read_window, one HDF5 hyperslab) against h5py slicing the same file
(f["counts"][a:a + W]) and numpy reading the same counts memory-mapped from .npy
(np.array(np.load(path, mmap_mode="r")[a:a + W])). Window starts are uniform at random (1,000
per size, a fixed seed per side), one thread, the files in the page cache. Also: writing the
store (1.8 GB of counts) and its size on disk."""
import os

from compare_common import parse_args, run_ours, run_theirs, write_results
from vbn_session import vbn_session

args = parse_args(__doc__)
os.environ["JEPASNN_BENCH_STORE"] = "1"  # the prepare step also writes the store and the .npy
with vbn_session(args) as (path, spikes):
    directory = os.path.dirname(path)
    store = os.path.join(directory, "vbn_size_store.h5")
    npy = os.path.join(directory, "vbn_size_counts.npy")
    write_s, write_mib, write = run_ours(args.binary, "^BM_store_write/", min_time=0, threads=1)
    cases = [{"case": "write the store (uint8, 10 ms) vs numpy np.save of the same counts",
              "ours_s": write_s, "ours_peak_mib": write_mib,
              "file_bytes": write["file_bytes"], "count_bytes": write["count_bytes"]}]
    setup_save = f"""
        import numpy as np
        m = np.load({npy!r})
    """
    save_s, save_mib = run_theirs(setup_save, f"np.save({npy + '.copy.npy'!r}, m)", repeat=1)
    os.remove(npy + ".copy.npy")
    cases[0].update(theirs_s=save_s, theirs_peak_mib=save_mib, speedup=save_s / write_s)
    for window in (64, 256, 1024):
        ours_s, ours_mib, ours = run_ours(args.binary, f"^BM_store_read_window/{window}/",
                                          threads=1)
        setup = f"""
            import h5py, numpy as np
            f = h5py.File({store!r}, "r")
            d = f["counts"]
            m = np.load({npy!r}, mmap_mode="r")
            starts = np.random.default_rng(20261205).integers(0, d.shape[0] - {window} + 1, 1000)
        """
        h5_s, h5_mib = run_theirs(setup, f"for a in starts: d[a:a + {window}]", repeat=3)
        np_s, np_mib = run_theirs(setup, f"for a in starts: np.array(m[a:a + {window}])",
                                  repeat=3)
        for name, theirs_s, theirs_mib in (("h5py slicing the store", h5_s / 1000, h5_mib),
                                           ("numpy memory-mapped .npy", np_s / 1000, np_mib)):
            cases.append({"case": f"read a {window}-bin window vs {name}", "ours_s": ours_s,
                          "theirs_s": theirs_s, "speedup": theirs_s / ours_s,
                          "ours_peak_mib": ours_mib, "theirs_peak_mib": theirs_mib,
                          "window_bytes": ours["window_bytes"],
                          "ours_gb_per_s": ours["window_bytes"] / ours_s / 1e9,
                          "chunk_rows": ours["chunk_rows"]})
    write_results(args.out, "binned_store", "h5py / numpy", cases)
