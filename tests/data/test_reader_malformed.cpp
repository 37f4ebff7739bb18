// Malformed files: each violation of the units-table rules, missing groups, wrong column lengths,
// truncated, empty and non-HDF5 files must raise one clear Error naming the file, the dataset
// path and (where there is one) the unit, and HDF5 must print nothing on stderr.
#include <jepasnn/data/session.hpp>

#include <fstream>
#include <limits>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::test::captured_stderr;
using jepasnn::test::patched_fixture;
using jepasnn::test::TempDir;
using W = jepasnn::data::hdf5::Writer;

namespace {

/// Reads the whole session; returns the Error message (empty when it loaded) and checks that
/// nothing reached stderr.
std::string load_error(const jepasnn::test::fs::path& path) {
    std::string message;
    const std::string noise = captured_stderr([&] {
        try {
            load_session(path);
        } catch (const jepasnn::Error& e) {
            message = e.what();
        }
    });
    CHECK(noise.empty());
    return message;
}

std::vector<std::uint64_t> fixture_index() {
    return NwbFile(jepasnn::test::fixture_nwb()).read_unit_index().ends;
}

void replace_index(W& w, std::vector<std::int64_t> index) {
    w.remove("/units/spike_times_index");
    w.numbers<std::int64_t>("/units/spike_times_index", index);
}

}  // namespace

TEST_CASE("a non-monotone index names the unit and the dataset") {
    TempDir dir;
    const auto path = patched_fixture(dir, "bad_index.nwb", [](W& w) {
        auto ends = fixture_index();
        std::vector<std::int64_t> index(ends.begin(), ends.end());
        std::swap(index[3], index[4]);  // unit 4 now ends before unit 3
        replace_index(w, index);
    });
    const std::string e = load_error(path);
    CHECK_THAT(e, Catch::Contains(path.string()) && Catch::Contains("/units/spike_times_index") &&
                      Catch::Contains("unit 4 (id 950011238)") && Catch::Contains("not monotone"));
}

TEST_CASE("negative short and over-long indexes are rejected") {
    TempDir dir;
    const auto ends = fixture_index();
    const auto negative = patched_fixture(dir, "negative.nwb", [&](W& w) {
        std::vector<std::int64_t> index(ends.begin(), ends.end());
        index[0] = -5;
        replace_index(w, index);
    });
    CHECK_THAT(load_error(negative),
               Catch::Contains("unit 0 (id 950001306)") && Catch::Contains("index entry is -5"));
    const auto short_end = patched_fixture(dir, "short.nwb", [&](W& w) {
        std::vector<std::int64_t> index(ends.begin(), ends.end());
        index.back() -= 10;
        replace_index(w, index);
    });
    CHECK_THAT(load_error(short_end), Catch::Contains("/units/spike_times_index") &&
                                          Catch::Contains("ends at 109003, expected 109013"));
    const auto past = patched_fixture(dir, "past.nwb", [&](W& w) {
        std::vector<std::int64_t> index(ends.begin(), ends.end());
        index[38] = 200000;
        replace_index(w, index);
    });
    CHECK_THAT(load_error(past), Catch::Contains("unit 38") && Catch::Contains("runs past"));
    const auto wrong_length = patched_fixture(dir, "length.nwb", [&](W& w) {
        std::vector<std::int64_t> index(ends.begin(), ends.end() - 1);
        replace_index(w, index);
    });
    CHECK_THAT(load_error(wrong_length), Catch::Contains("spike_times_index") &&
                                             Catch::Contains("39 entries") &&
                                             Catch::Contains("expected 40"));
}

TEST_CASE("NaN and unsorted spike times name the unit") {
    TempDir dir;
    const auto ends = fixture_index();
    auto patch_times = [&](const std::string& name, auto&& edit) {
        return patched_fixture(dir, name, [&](W& w) {
            std::vector<double> t(ends.back());
            jepasnn::data::NwbFile(jepasnn::test::fixture_nwb())
                .read_spike_times(0, std::span<double>(t));
            edit(t);
            w.remove("/units/spike_times");
            w.numbers<double>("/units/spike_times", t);
        });
    };
    const auto nan = patch_times("nan.nwb", [&](std::vector<double>& t) {
        t[ends[6] + 2] = std::numeric_limits<double>::quiet_NaN();  // unit 7, spike 2
    });
    CHECK_THAT(load_error(nan), Catch::Contains("/units/spike_times") &&
                                    Catch::Contains("unit 7 (id 950026316)") &&
                                    Catch::Contains("spike 2") && Catch::Contains("finite"));
    const auto inf = patch_times(
        "inf.nwb", [&](std::vector<double>& t) { t[0] = std::numeric_limits<double>::infinity(); });
    CHECK_THAT(load_error(inf), Catch::Contains("unit 0") && Catch::Contains("inf"));
    const auto unsorted = patch_times("unsorted.nwb", [&](std::vector<double>& t) {
        std::swap(t[ends[11] + 5], t[ends[11] + 6]);  // unit 12, spikes 5 and 6
    });
    CHECK_THAT(load_error(unsorted), Catch::Contains("unit 12 (id 950033792)") &&
                                         Catch::Contains("not sorted") &&
                                         Catch::Contains("spike 6"));
}

TEST_CASE("missing groups and datasets are named") {
    TempDir dir;
    const auto no_units = patched_fixture(dir, "no_units.nwb", [](W& w) { w.remove("/units"); });
    CHECK_THAT(load_error(no_units), Catch::Contains("/units: group not found"));
    const auto no_times =
        patched_fixture(dir, "no_times.nwb", [](W& w) { w.remove("/units/spike_times"); });
    CHECK_THAT(load_error(no_times), Catch::Contains("/units/spike_times: dataset not found"));
    const auto no_ids = patched_fixture(dir, "no_ids.nwb", [](W& w) { w.remove("/units/id"); });
    CHECK_THAT(load_error(no_ids), Catch::Contains("/units/id: dataset not found"));
    const auto no_start = patched_fixture(dir, "no_start.nwb", [](W& w) {
        w.remove("/intervals/spontaneous_presentations/start_time");
    });
    CHECK_THAT(load_error(no_start), Catch::Contains("/intervals/spontaneous_presentations") &&
                                         Catch::Contains("colnames lists 'start_time'"));
    // A file without running speed or intervals is still a session.
    const auto bare = patched_fixture(dir, "bare.nwb", [](W& w) {
        w.remove("/processing/running");
        w.remove("/intervals");
    });
    CHECK(load_error(bare).empty());
    const Session s = load_session(bare);
    CHECK_FALSE(s.running_speed.has_value());
    CHECK(s.blocks.empty());
}

TEST_CASE("a column whose length differs from the ids is rejected") {
    TempDir dir;
    const auto path = patched_fixture(dir, "short_column.nwb", [](W& w) {
        w.remove("/units/isi_violations");
        const std::vector<double> v(39, 0.1);
        w.numbers<double>("/units/isi_violations", v);
    });
    CHECK_THAT(load_error(path),
               Catch::Contains("/units/isi_violations") && Catch::Contains("39 rows, expected 40"));
    const auto interval = patched_fixture(dir, "short_interval.nwb", [](W& w) {
        w.remove("/intervals/flash_250ms_presentations/color");
        const std::vector<double> v(3, 1.0);
        w.numbers<double>("/intervals/flash_250ms_presentations/color", v);
    });
    CHECK_THAT(load_error(interval), Catch::Contains("flash_250ms_presentations/color") &&
                                         Catch::Contains("3 rows, expected 9"));
}

TEST_CASE("an unknown peak channel is rejected by the electrodes join") {
    TempDir dir;
    const auto path = patched_fixture(dir, "peak.nwb", [](W& w) {
        std::vector<std::int64_t> peak = jepasnn::data::NwbFile(jepasnn::test::fixture_nwb())
                                             .hdf5()
                                             .read_all<std::int64_t>("/units/peak_channel_id");
        peak[2] = 424242;
        w.remove("/units/peak_channel_id");
        w.numbers<std::int64_t>("/units/peak_channel_id", peak);
    });
    CHECK_THAT(load_error(path),
               Catch::Contains("unit 2 (id 950004448)") && Catch::Contains("peak channel 424242"));
}

TEST_CASE("truncated empty non-HDF5 and missing files fail cleanly") {
    TempDir dir;
    const auto truncated = dir / "truncated.nwb";
    {
        const std::string bytes = jepasnn::test::read_text(jepasnn::test::fixture_nwb());
        jepasnn::test::write_text(truncated, bytes.substr(0, bytes.size() / 2));
    }
    CHECK_THAT(load_error(truncated),
               Catch::Contains(truncated.string()) && Catch::Contains("truncated"));
    const auto empty = dir / "empty.nwb";
    jepasnn::test::write_text(empty, "");
    CHECK_THAT(load_error(empty), Catch::Contains("empty file"));
    const auto text = dir / "text.nwb";
    jepasnn::test::write_text(text, "this is not an HDF5 file\n");
    CHECK_THAT(load_error(text), Catch::Contains("not an HDF5 file"));
    CHECK_THAT(load_error(dir / "missing.nwb"), Catch::Contains("no such file"));
    CHECK_THAT(load_error(dir.path()), Catch::Contains("not a file"));
}
