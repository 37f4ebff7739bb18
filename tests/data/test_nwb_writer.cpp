// NwbWriter → NwbFile round trips: every column kind (real, integer, boolean enum, text,
// reference, ragged, 2-D), every spike_times_index width the reader must accept, running speed,
// and the atomic-write rule (nothing left behind when a write fails).
#include <jepasnn/data/nwb_writer.hpp>
#include <jepasnn/data/session.hpp>

#include <cmath>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::test::TempDir;
namespace fs = std::filesystem;

namespace {

UnitTable small_units() {
    UnitTable u = UnitTable::from_trains(
        {101, 7, 55}, {{0.5, 1.25, 2.0}, {}, {0.001, 0.002, 3.5, 3.5, 9.0}}, {"VISp", "CA1", ""});
    u.add_column(Column::texts("quality", {"good", "noise", "good"}));
    u.add_column(Column::reals("snr", {1.5, std::nan(""), 3.25}));
    u.add_column(Column::integers("peak_channel_id", {1000, 1001, 1000}));
    u.add_column(Column::booleans("is_visual", {1, 0, 1}));
    u.add_column(Column::reals("waveform", {1, 2, 3, 4, 5, 6}).with_width(2));
    u.add_column(
        Column::reals("spike_amplitudes", {9, 8, 7, 1, 2, 3, 4, 5}).with_ragged_ends({3, 3, 8}));
    return u;
}

void write_small(const fs::path& path, const UnitTable& u, IndexType index) {
    NwbWriter w(path, {"small", "a small test session", "2020-01-02T03:04:05+00:00", ""}, 1);
    w.add_device("dev", "a device");
    w.add_electrode_group("probeA", "probe", "brain", "dev");
    Table e("/general/extracellular_ephys/electrodes", {1000, 1001});
    e.add(Column::texts("location", {"VISp", "CA1"}));
    e.add(Column::texts("group_name", {"probeA", "probeA"}));
    w.write_electrodes(e);
    w.write_units(u, index);
    Table trials("/intervals/trials", {0, 1});
    trials.add(Column::reals("start_time", {0.0, 5.0}));
    trials.add(Column::reals("stop_time", {4.0, 9.0}));
    trials.add(Column::booleans("hit", {1, 0}));
    w.write_intervals(trials, "trials");
    TimeSeries speed;
    speed.unit = "cm/s";
    speed.timestamps = {0.0, 0.5, 1.0};
    speed.values = {1.0, 2.0, 4.0};
    speed.rate = 2.0;  // written as starting_time + rate
    w.write_running_speed(speed);
    w.finish();
}

}  // namespace

TEST_CASE("every column kind survives a write and a read") {
    TempDir dir;
    const UnitTable u = small_units();
    write_small(dir / "small.nwb", u, IndexType::automatic);
    const Session s = load_session(dir / "small.nwb");
    const UnitTable& r = s.units;
    CHECK(std::vector<std::int64_t>(r.ids().begin(), r.ids().end()) ==
          std::vector<std::int64_t>{101, 7, 55});
    for (std::size_t i = 0; i < 3; ++i) {
        const auto a = u.spike_times(i), b = r.spike_times(i);
        CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(b.begin(), b.end()));
    }
    CHECK(r.columns().column("quality").texts() == u.columns().column("quality").texts());
    CHECK(r.columns().column("snr").real(0) == 1.5);
    CHECK(std::isnan(r.columns().column("snr").real(1)));
    CHECK(r.columns().column("peak_channel_id").integers() ==
          std::vector<std::int64_t>{1000, 1001, 1000});
    CHECK(r.columns().column("is_visual").kind() == ColumnKind::boolean);
    CHECK(r.columns().column("is_visual").stored_as() == "bool enum");
    CHECK(r.columns().column("waveform").width() == 2);
    CHECK(r.columns().column("waveform").json(2) == jepasnn::Json::parse("[5.0, 6.0]"));
    const Column& amps = r.columns().column("spike_amplitudes");
    CHECK(amps.is_ragged());
    CHECK(amps.row_range(2) == std::pair<std::size_t, std::size_t>{3, 8});
    CHECK(r.locations() == std::vector<std::string>{"VISp", "CA1", "VISp"});  // the join
    CHECK(s.info.identifier == "small");
    CHECK(s.info.session_start_time == "2020-01-02T03:04:05+00:00");
    CHECK(s.interval("trials").column("hit").boolean(1) == false);
    REQUIRE(s.running_speed.has_value());
    CHECK(s.running_speed->values == std::vector<double>{1.0, 2.0, 4.0});
    CHECK(s.running_speed->timestamps == std::vector<double>{0.0, 0.5, 1.0});
    CHECK(s.running_speed->rate == 2.0);
    const NwbFile file(dir / "small.nwb");
    CHECK(file.hdf5().exists("/processing/running/speed/starting_time"));
    CHECK(file.hdf5().attribute_string("/units", "neurodata_type") == "Units");
    CHECK(file.hdf5().attribute_string("/units/spike_times_index", "neurodata_type") ==
          "VectorIndex");
    CHECK(file.hdf5().attribute_string("/", "nwb_version") == "2.6.0");
}

TEST_CASE("a sampling rate that disagrees with the timestamps is refused") {
    TimeSeries speed;
    speed.timestamps = {0.0, 0.5, 1.0};
    speed.values = {1.0, 2.0, 4.0};
    speed.rate = 3.0;
    CHECK_THROWS_WITH(speed.validate("speed"), Catch::Contains("timestamp 1 is 0.5 s"));
    speed.rate = 0.0;
    CHECK_THROWS_WITH(speed.validate("speed"), Catch::Contains("sampling rate is 0 Hz"));
}

TEST_CASE("spike_times_index of any integer width reads the same") {
    TempDir dir;
    const UnitTable u = small_units();
    const std::pair<IndexType, const char*> types[] = {
        {IndexType::uint8, "uint8"},   {IndexType::uint16, "uint16"}, {IndexType::uint32, "uint32"},
        {IndexType::uint64, "uint64"}, {IndexType::int32, "int32"},   {IndexType::int64, "int64"}};
    for (const auto& [type, name] : types) {
        INFO(name);
        const fs::path path = dir / (std::string(name) + ".nwb");
        write_small(path, u, type);
        const NwbFile file(path);
        CHECK(file.hdf5().info("/units/spike_times_index").type_name == name);
        const UnitIndex index = file.read_unit_index();
        CHECK(index.ends == std::vector<std::uint64_t>{3, 3, 8});
    }
}

TEST_CASE("writing twice from the same seed gives identical bytes") {
    TempDir dir;
    const UnitTable u = small_units();
    write_small(dir / "a.nwb", u, IndexType::automatic);
    write_small(dir / "b.nwb", u, IndexType::automatic);
    CHECK(jepasnn::test::read_text(dir / "a.nwb") == jepasnn::test::read_text(dir / "b.nwb"));
}

TEST_CASE("a failed write leaves no file behind") {
    TempDir dir;
    {
        NwbWriter w(dir / "fail.nwb", {}, 1);
        Table e("/general/extracellular_ephys/electrodes", {1});
        e.add(Column::texts("location", {"VISp"}));
        e.add(Column::texts("group_name", {"nowhere"}));
        CHECK_THROWS_WITH(w.write_electrodes(e), Catch::Contains("'nowhere' was not added"));
    }  // abandoned without finish()
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("a units table written in pieces reads as the table written whole") {
    TempDir dir;
    const std::vector<double> times = {0.5, 1.25, 2.0, 0.001, 0.002, 3.5, 3.5, 9.0};
    const std::vector<double> amplitudes = {9, 8, 7, 1, 2, 3, 4, 5};
    const std::vector<Column> columns = {Column::reals("snr", {1.5, std::nan(""), 3.25}),
                                         Column::texts("quality", {"good", "noise", "good"})};
    {
        NwbWriter w(dir / "pieces.nwb", {"pieces", "units in pieces", "", ""}, 1);
        CHECK_THROWS_WITH(w.append_units({}, {}), Catch::Contains("begin_units was not called"));
        w.begin_units(0.0, "amplitude of each spike");
        CHECK_THROWS_WITH(w.begin_units(), Catch::Contains("already being written"));
        w.append_units(std::vector<std::uint64_t>{3}, std::span(times).first(3),
                       std::span(amplitudes).first(3));
        CHECK_THROWS_WITH(
            w.append_units(std::vector<std::uint64_t>{0, 4}, std::span(times).subspan(3),
                           std::span(amplitudes).subspan(3)),
            Catch::Contains("counts sum to 4 spikes but 5 spike times"));
        CHECK_THROWS_WITH(
            w.append_units(std::vector<std::uint64_t>{0, 5}, std::span(times).subspan(3)),
            Catch::Contains("0 amplitudes given, expected 5"));
        w.append_units(std::vector<std::uint64_t>{0, 5}, std::span(times).subspan(3),
                       std::span(amplitudes).subspan(3));
        CHECK(std::ranges::equal(w.appended_spike_ends(), std::vector<std::uint64_t>{3, 3, 8}));
        std::vector<double> back(4);
        w.read_back_spike_times(2, back);
        CHECK(back == std::vector<double>(times.begin() + 2, times.begin() + 6));
        std::vector<double> past(7);
        CHECK_THROWS_WITH(w.read_back_spike_times(2, past), Catch::Contains("run past its 8"));
        CHECK_THROWS_WITH(w.finish(), Catch::Contains("units table was not finished"));
        CHECK_THROWS_WITH(w.finish_units(std::vector<std::int64_t>{101, 7}, columns),
                          Catch::Contains("ids has 2 entries (one per unit appended), expected 3"));
        w.finish_units(std::vector<std::int64_t>{101, 7, 55}, columns);
        w.finish();
    }
    const UnitTable read = NwbFile(dir / "pieces.nwb").read_units();
    // Without the spike times, the extent comes from each unit's first and last spike (unit 1
    // has none).
    const auto extent = NwbFile(dir / "pieces.nwb").read_unit_metadata().spike_extent();
    REQUIRE(extent.has_value());
    CHECK(extent->start == 0.001);
    CHECK(extent->stop == 9.0);
    CHECK(read.ids()[2] == 55);
    CHECK(std::ranges::equal(read.all_spike_times(), times));
    CHECK(read.n_spikes(1) == 0);
    CHECK(read.columns().column_names() ==
          std::vector<std::string>{"snr", "quality", "spike_amplitudes"});
    const Column& a = read.columns().column("spike_amplitudes");
    CHECK(std::ranges::equal(a.values<double>(), amplitudes));
    CHECK(a.row_range(2).first == 3);
    CHECK(std::isnan(read.columns().column("snr").values<double>()[1]));
}
