// The reader against files written by other tools: the pynwb-written VBN-layout fixture (every
// field of its .expected.json) and the two third-party files of ../shared/fixtures/external
// (uint16 and uint32 spike_times_index), compared with h5py readings pinned in
// tests/assets/data/external_golden.json (make_golden.py).
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/session.hpp>

#include <numeric>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::Json;
using jepasnn::test::fixture_nwb;

TEST_CASE("the vbn_like_small fixture matches every field of its expected json") {
    const Json expected =
        jepasnn::read_json(jepasnn::test::test_asset("fixtures/vbn_like_small.nwb.expected.json"));
    const Session s = load_session(fixture_nwb());
    const UnitTable& u = s.units;

    REQUIRE(u.size() == expected["n_units"].get<std::size_t>());
    CHECK(std::vector<std::int64_t>(u.ids().begin(), u.ids().end()) ==
          expected["unit_ids"].get<std::vector<std::int64_t>>());
    CHECK(u.total_spikes() == expected["total_spikes"].get<std::uint64_t>());
    const Column& quality = u.columns().column("quality");
    for (std::size_t i = 0; i < u.size(); ++i) {
        INFO("unit " << i);
        CHECK(u.n_spikes(i) == expected["n_spikes"][i].get<std::uint64_t>());
        // Exact: both sides are the same float64 bits.
        CHECK(u.spike_times(i).front() == expected["first_spike"][i].get<double>());
        CHECK(u.spike_times(i).back() == expected["last_spike"][i].get<double>());
        CHECK(quality.text(i) == expected["quality"][i].get<std::string>());
        CHECK(u.locations()[i] == expected["location"][i].get<std::string>());
    }
    CHECK(u.location_source() == "electrodes via peak_channel_id");

    REQUIRE(s.blocks.size() == expected["blocks"].size());
    for (std::size_t b = 0; b < s.blocks.size(); ++b) {
        const Json& e = expected["blocks"][b];
        CHECK(s.blocks[b].block == e["block"].get<std::int64_t>());
        CHECK(s.blocks[b].active == e["active"].get<bool>());
        CHECK(s.blocks[b].start == e["start"].get<double>());
        CHECK(s.blocks[b].stop == e["stop"].get<double>());
    }
    const Table* images = s.image_presentations();
    REQUIRE(images != nullptr);
    std::size_t active = 0, passive = 0;
    for (std::size_t r = 0; r < images->rows(); ++r) {
        const std::int64_t block = images->column("stimulus_block").integer(r);
        active += block == 0;
        passive += block == 5;
    }
    CHECK(active == expected["n_image_presentations_active"].get<std::size_t>());
    CHECK(passive == expected["n_image_presentations_passive"].get<std::size_t>());

    // session_end: binning [0, session_end) keeps every spike, and nothing lies beyond it.
    const double end = expected["session_end"].get<double>();
    CHECK(s.extent().stop <= end);
    const auto counts = bin_spikes(u, BinGrid::covering({0.0, end}, 0.01));
    CHECK(std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}) == u.total_spikes());
}

TEST_CASE("the fixture's other tables and series are read with their types") {
    const Session s = load_session(fixture_nwb());
    CHECK(s.info.nwb_version == "2.6.0");
    CHECK_FALSE(s.info.identifier.empty());
    REQUIRE(s.running_speed.has_value());
    CHECK(s.running_speed->size() == 16800);
    CHECK(s.running_speed->unit == "cm/s");
    const Table& flashes = s.interval("flash_250ms_presentations");
    CHECK(flashes.rows() == 9);
    CHECK(flashes.column("active").kind() == ColumnKind::boolean);
    CHECK(flashes.column("color").kind() == ColumnKind::real);
    const Table* images = s.image_presentations();
    REQUIRE(images != nullptr);
    CHECK(images->column("image_name").stored_as() == "vlen string");
    CHECK(images->column("is_change").stored_as() == "bool enum");
    CHECK(s.units.columns().column("peak_channel_id").kind() == ColumnKind::integer);
    CHECK(s.units.columns().column("isi_violations").description() == "ISI violation ratio");
    const NwbFile file(fixture_nwb());
    const Table electrodes = file.read_table("/general/extracellular_ephys/electrodes");
    CHECK(electrodes.rows() == 24);
    CHECK(electrodes.column("group").kind() == ColumnKind::reference);
    CHECK(electrodes.column("group").text(0).rfind("/general/extracellular_ephys/probe", 0) == 0);
    CHECK_THROWS_WITH(s.interval("trials"), Catch::Contains("no interval table 'trials'"));
}

TEST_CASE("the third-party files open validate and bin like h5py reads them") {
    const auto shared = jepasnn::test::shared_dir();
    if (!shared || !jepasnn::test::fs::is_directory(*shared / "fixtures/external"))
        JEPASNN_SKIP("../shared/fixtures/external is absent");
    const Json golden = jepasnn::test::golden("external_golden.json");
    for (const auto& [name, g] : golden.items()) {
        INFO(name);
        const auto path = *shared / "fixtures/external" / name;
        const NwbFile file(path);
        CHECK(file.hdf5().info("/units/spike_times_index").type_name == g["index_dtype"]);
        const UnitTable u = file.read_units();
        REQUIRE(u.size() == g["n_units"].get<std::size_t>());
        CHECK(std::vector<std::int64_t>(u.ids().begin(), u.ids().end()) ==
              g["ids"].get<std::vector<std::int64_t>>());
        for (std::size_t i = 0; i < u.size(); ++i) {
            CHECK(u.n_spikes(i) == g["n_spikes"][i].get<std::uint64_t>());
            CHECK(u.spike_times(i).front() == g["first_spike"][i].get<double>());
            CHECK(u.spike_times(i).back() == g["last_spike"][i].get<double>());
        }
        const Json& b = g["bin"];
        const BinGrid grid = BinGrid::covering(
            {b["t_start"].get<double>(), b["t_stop"].get<double>()}, b["bin_width"].get<double>());
        REQUIRE(grid.n_bins == b["n_bins"].get<std::size_t>());
        const auto counts = bin_spikes(u, grid);
        std::vector<std::int64_t> sums(u.size(), 0);
        std::int64_t checksum = 0;
        for (std::size_t k = 0; k < counts.size(); ++k) {
            sums[k % u.size()] += counts.data()[k];
            checksum += counts.data()[k] * static_cast<std::int64_t>(1 + k % 9973);
        }
        CHECK(sums == b["unit_sums"].get<std::vector<std::int64_t>>());
        CHECK(checksum == b["checksum"].get<std::int64_t>());
        // Areas come from whatever the file has: units/location or the electrodes join.
        CHECK(u.has_locations());
    }
    const UnitTable a = NwbFile(*shared / "fixtures/external/A8604-211122.nwb").read_units();
    CHECK(a.location_source() == "units/location");
    CHECK(a.columns().column("electrode_group").kind() == ColumnKind::reference);
    const UnitTable b =
        NwbFile(*shared / "fixtures/external/sub-4_ses-4_ecephys_image.nwb").read_units();
    CHECK(b.location_source() == "electrodes via units/electrodes");
    CHECK(b.locations()[0] == "hippocampus_right");
}
