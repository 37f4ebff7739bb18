// Streaming binning from the file (bounded chunks of spike_times) gives exactly the in-memory
// counts, for any chunk size and selection, and validates spikes across chunk boundaries.
#include <jepasnn/data/binning.hpp>
#include <jepasnn/data/streaming_binning.hpp>

#include <rapidcheck/catch.h>

#include <limits>
#include <string>
#include <variant>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::test::fixture_nwb;

TEST_CASE("streamed counts equal in-memory counts for any chunk size") {
    const NwbFile file(fixture_nwb());
    const UnitTable units = file.read_units();
    const BinGrid grid = BinGrid::covering({3.0, 250.0}, 0.01);
    const auto reference = bin_spikes(units, grid);
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{1} << 22}) {
        INFO("chunk " << chunk);
        StreamingOptions o;
        o.chunk_spikes = chunk;
        CHECK(jepasnn::test::same_tensor(bin_file(file, grid, o), reference));
    }
    rc::prop("any selection, any chunk", [&] {
        const auto selection = *rc::gen::container<std::vector<std::size_t>>(
            rc::gen::inRange<std::size_t>(0, units.size()));
        StreamingOptions o;
        o.chunk_spikes = *rc::gen::inRange<std::size_t>(50, 20000);
        RC_ASSERT(jepasnn::test::same_tensor(bin_file(file, grid, selection, o),
                                             bin_spikes(units, grid, selection)));
    });
}

TEST_CASE("streamed counts come in the same count types with the same overflow") {
    const NwbFile file(fixture_nwb());
    const UnitTable units = file.read_units();
    const std::vector<std::size_t> all = all_units(units.size());
    StreamingOptions o;
    o.chunk_spikes = 1000;
    const BinGrid fine = BinGrid::covering({3.0, 250.0}, 0.01);
    CHECK(jepasnn::test::same_tensor(bin_file<std::uint8_t>(file, fine, o),
                                     bin_spikes<std::uint8_t>(units, fine)));
    // 10 s bins: the busiest units pass 255 spikes per bin, so narrowest is uint16 on both paths
    // and uint8 is refused naming the same unit and bin.
    const BinGrid coarse = BinGrid::covering({0.0, 270.0}, 10.0);
    const Counts streamed = bin_file_as(CountDType::narrowest, file, coarse, all, o);
    REQUIRE(std::holds_alternative<jepasnn::Tensor<std::uint16_t, 2>>(streamed));
    CHECK(jepasnn::test::same_tensor(std::get<1>(streamed),
                                     bin_spikes<std::uint16_t>(units, coarse)));
    std::string in_memory;
    try {
        (void)bin_spikes<std::uint8_t>(units, coarse);
    } catch (const jepasnn::Error& e) {
        in_memory = e.what();
    }
    const std::string unit = in_memory.substr(in_memory.find("unit "));
    REQUIRE(unit.find("more than 255 spikes in bin") != std::string::npos);
    for (std::size_t chunk : {std::size_t{7}, std::size_t{1} << 22}) {
        o.chunk_spikes = chunk;
        CHECK_THROWS_WITH(bin_file<std::uint8_t>(file, coarse, all, o),
                          Catch::Contains(file.path()) && Catch::EndsWith(unit));
    }
}

TEST_CASE("streaming validates spikes across chunk boundaries") {
    jepasnn::test::TempDir dir;
    const std::vector<std::uint64_t> ends = NwbFile(fixture_nwb()).read_unit_index().ends;
    auto with_times = [&](const std::string& name, auto&& edit) {
        return jepasnn::test::patched_fixture(dir, name, [&](hdf5::Writer& w) {
            std::vector<double> t(ends.back());
            NwbFile(fixture_nwb()).read_spike_times(0, std::span<double>(t));
            edit(t);
            w.remove("/units/spike_times");
            w.numbers<double>("/units/spike_times", t);
        });
    };
    // Unit 3's spikes 9 and 10 swapped: with 10-spike chunks aligned to the unit's start the
    // violation straddles a chunk boundary.
    const auto unsorted = with_times("unsorted.nwb", [&](std::vector<double>& t) {
        std::swap(t[ends[2] + 9], t[ends[2] + 10]);
    });
    const BinGrid grid = BinGrid::covering({0.0, 280.0}, 0.01);
    StreamingOptions o;
    o.chunk_spikes = 10;
    const std::vector<std::size_t> unit3 = {3};
    CHECK_THROWS_WITH(bin_file(NwbFile(unsorted), grid, unit3, o),
                      Catch::Contains("/units/spike_times") &&
                          Catch::Contains("unit 3 (id 950008651)") &&
                          Catch::Contains("not sorted") && Catch::Contains("spike 10"));
    const auto nan = with_times("nan.nwb", [&](std::vector<double>& t) {
        t[ends[0] + 4] = std::numeric_limits<double>::quiet_NaN();
    });
    CHECK_THROWS_WITH(bin_file(NwbFile(nan), grid, o),
                      Catch::Contains("unit 1 (id 950001517)") && Catch::Contains("spike 4"));
    // Units not selected are not read, so their damage goes unnoticed (and costs nothing).
    const std::vector<std::size_t> unit0 = {0};
    CHECK_NOTHROW(bin_file(NwbFile(nan), grid, unit0, o));
}
