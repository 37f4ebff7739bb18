"""Reading random windows of W bins x 2,000 units from the VBN-size session's binned store (uint8
counts at 10 ms, 900,000 bins, unfiltered 256 KiB chunks along time), the access pattern of
training: ours (BinnedStore::read_window, one HDF5 hyperslab) against h5py slicing the same file
(f["counts"][a:a + W]) and numpy reading the same counts memory-mapped from .npy
(np.array(np.load(path, mmap_mode="r")[a:a + W])). Window starts are uniform at random (1,000
per size, a fixed seed per side), one thread, the files in the page cache. Also: writing the
store (1.8 GB of counts) and its size on disk.

Why the store is unfiltered: the same counts rewritten by h5py in the store's chunks with the
filters any HDF5 reader has (deflate level 1, and byte shuffle + deflate 1; h5py's LZF and the
Blosc plugins are not in every HDF5 build, so a store using them would not open everywhere),
each read back by h5py in the same random 256-bin windows: the bytes each saves on disk against
what each costs per window, the reads a training step makes."""
import os

from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results
from vbn_session import vbn_session

args = parse_args(__doc__)
os.environ["JEPASNN_BENCH_STORE"] = "1"  # the prepare step also writes the store and the .npy
with vbn_session(args) as (path, spikes):
    directory = os.path.dirname(path)
    store = os.path.join(directory, "vbn_size_store.h5")
    npy = os.path.join(directory, "vbn_size_counts.npy")
    write_s, write_mib, written = run_ours(args.binary, "^BM_store_write/", min_time=0, threads=1)
    cases = [{"case": "write the store (uint8, 10 ms) vs numpy np.save of the same counts",
              "ours_s": write_s, "ours_peak_mib": write_mib,
              "file_bytes": written["file_bytes"], "count_bytes": written["count_bytes"]}]
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
    def h5py_windows(path):
        """h5py reading the same 1,000 random 256-bin windows of `path`: (s per window, MiB)."""
        setup = f"""
            import h5py, numpy as np
            d = h5py.File({path!r}, "r")["counts"]
            starts = np.random.default_rng(20261205).integers(0, d.shape[0] - 255, 1000)
        """
        seconds, mib = run_theirs(setup, "for a in starts: d[a:a + 256]", repeat=3)
        return seconds / 1000, mib

    plain_s, plain_mib = h5py_windows(store)
    for name, options in (("deflate-1", "compression='gzip', compression_opts=1"),
                          ("shuffle + deflate-1",
                           "compression='gzip', compression_opts=1, shuffle=True")):
        filtered = os.path.join(directory, "vbn_size_store_filtered.h5")
        write_code = f"""
            import h5py
            with h5py.File({store!r}, "r") as f:
                counts, chunks = f["counts"][:], f["counts"].chunks
        """
        write = (f"h5py.File({filtered!r}, 'w').create_dataset('counts', data=counts, "
                 f"chunks=chunks, {options}).file.close()")
        filter_write_s, _ = run_theirs(write_code, write, repeat=1)
        packed_s, packed_mib = h5py_windows(filtered)
        cases.append({"case": f"h5py reads a 256-bin window unfiltered vs {name}",
                      "ours_s": plain_s, "theirs_s": packed_s, "speedup": packed_s / plain_s,
                      "ours_peak_mib": plain_mib, "theirs_peak_mib": packed_mib,
                      "filter_write_s": filter_write_s, "unfiltered_bytes": os.path.getsize(store),
                      "filtered_bytes": os.path.getsize(filtered),
                      "size_ratio": os.path.getsize(store) / os.path.getsize(filtered)})
        os.remove(filtered)
    write_results(args.out, "binned_store", "h5py / numpy", cases,
                  competitor_versions("h5py", "numpy"))
