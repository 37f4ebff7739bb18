"""Binning a VBN-size session (2,000 units x 2.5 h, ~9.6e7 spikes) at 10 ms, side by side:
ours (bin_spikes, 1 and 2 threads) against the usual Python pipeline (numpy's np.histogram per
unit with explicit 10 ms edges, one thread), and against the memory-bandwidth limit (a plain copy
of the same spike bytes, 8 bytes per spike). numpy's loop is timed on a subset of units and scaled
to all units by unit count: with 900,001 explicit edges its cost per unit is dominated by the
edges (searchsorted of every edge into the unit's spikes), not by the unit's spikes.
Each at int32 output (4 bytes per count) and at uint8 (1 byte: the narrowest exact type of
10 ms counts, which `jepasnn bin` writes by default). Also: the cost of a fresh output (first
touch of n_bins x units x 4 bytes), 100 ms bins, and streaming from the NWB file."""
from compare_common import competitor_versions, parse_args, run_ours, run_theirs, write_results
from vbn_session import vbn_session

args = parse_args(__doc__)
with vbn_session(args) as (path, spikes):
    units = 200 if args.quick else 2000
    duration = 1800.0 if args.quick else 9000.0
    subset = 20 if args.quick else 100

    bin1_s, bin1_mib, _ = run_ours(args.binary, "^BM_bin_session/10/", threads=1)
    bin2_s, bin2_mib, _ = run_ours(args.binary, "^BM_bin_session/10/", threads=2)
    u8_1_s, u8_1_mib, _ = run_ours(args.binary, "^BM_bin_session_uint8/10/", threads=1)
    u8_2_s, u8_2_mib, _ = run_ours(args.binary, "^BM_bin_session_uint8/10/", threads=2)
    copy_s, copy_mib, _ = run_ours(args.binary, "^BM_copy_spike_bytes/", threads=1)
    fresh_s, fresh_mib, _ = run_ours(args.binary, "^BM_bin_session_fresh_output/", threads=2,
                                     min_time=0)
    b100_s, b100_mib, _ = run_ours(args.binary, "^BM_bin_session/100/", threads=2)
    stream_s, stream_mib, _ = run_ours(args.binary, "^BM_bin_file_streaming/", threads=2,
                                       min_time=0)

    setup = f"""
        import h5py, numpy as np
        with h5py.File({path!r}, "r") as f:
            t = f["units/spike_times"][:]
            ends = f["units/spike_times_index"][:].astype(np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        edges = np.arange(int(round({duration} / 0.01)) + 1) * 0.01
        subset = range({subset})
    """
    statement = "[np.histogram(t[starts[u]:ends[u]], bins=edges)[0] for u in subset]"
    numpy_subset_s, numpy_mib = run_theirs(setup, statement, repeat=3, threads=1)
    numpy_s = numpy_subset_s * units / subset

    def case(name, ours_s, ours_mib, theirs_s, theirs_mib, **extra):
        return {"case": name, "ours_s": ours_s, "theirs_s": theirs_s,
                "speedup": theirs_s / ours_s, "ours_peak_mib": ours_mib,
                "theirs_peak_mib": theirs_mib, "spikes": spikes,
                "ours_spikes_per_s": spikes / ours_s, **extra}

    cases = [
        case("10 ms, 1 thread vs numpy np.histogram per unit (1 thread)", bin1_s, bin1_mib,
             numpy_s, numpy_mib, numpy_timed_units=subset, numpy_scaled_to_units=units),
        case("10 ms, 2 threads vs numpy np.histogram per unit (1 thread)", bin2_s, bin2_mib,
             numpy_s, numpy_mib, numpy_timed_units=subset, numpy_scaled_to_units=units),
        # speedup < 1 here: the fraction of the copy bandwidth that binning reaches.
        case("10 ms, 1 thread vs memcpy of the spike bytes (1 thread)", bin1_s, bin1_mib,
             copy_s, copy_mib, copy_spikes_per_s=spikes / copy_s,
             fraction_of_copy_bandwidth=copy_s / bin1_s),
        case("10 ms, 2 threads vs memcpy of the spike bytes (1 thread)", bin2_s, bin2_mib,
             copy_s, copy_mib, fraction_of_copy_bandwidth=copy_s / bin2_s),
        case("10 ms uint8, 1 thread vs numpy np.histogram per unit (1 thread)", u8_1_s, u8_1_mib,
             numpy_s, numpy_mib, numpy_timed_units=subset, numpy_scaled_to_units=units),
        case("10 ms uint8, 2 threads vs numpy np.histogram per unit (1 thread)", u8_2_s, u8_2_mib,
             numpy_s, numpy_mib, numpy_timed_units=subset, numpy_scaled_to_units=units),
        case("10 ms uint8, 1 thread vs memcpy of the spike bytes (1 thread)", u8_1_s, u8_1_mib,
             copy_s, copy_mib, fraction_of_copy_bandwidth=copy_s / u8_1_s),
        case("10 ms uint8, 2 threads vs memcpy of the spike bytes (1 thread)", u8_2_s, u8_2_mib,
             copy_s, copy_mib, fraction_of_copy_bandwidth=copy_s / u8_2_s),
        case("10 ms, 2 threads, fresh output each call vs reused output", fresh_s, fresh_mib,
             bin2_s, bin2_mib),
        case("100 ms, 2 threads vs memcpy of the spike bytes (1 thread)", b100_s, b100_mib,
             copy_s, copy_mib, fraction_of_copy_bandwidth=copy_s / b100_s),
        case("100 ms streaming from NWB (4 Mi-spike chunks), 2 threads vs numpy at 10 ms",
             stream_s, stream_mib, numpy_s, numpy_mib),
    ]
    write_results(args.out, "binning", "numpy np.histogram loop / memcpy", cases,
                  competitor_versions("numpy"))
