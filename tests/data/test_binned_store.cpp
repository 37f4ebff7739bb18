// Binned stores: a round trip keeps every count, the grid, units, states and the source's
// identity; windows read from the chunked counts equal the in-memory slices; a store whose NWB
// file changed is refused; malformed stores and failed writes give one-line errors and leave
// nothing behind.
#include <jepasnn/core/file_checksum.hpp>
#include <jepasnn/data/binned_store.hpp>
#include <jepasnn/data/streaming_binning.hpp>
#include <jepasnn/data/unit_qc.hpp>

#include <rapidcheck/catch.h>

#include <chrono>
#include <fstream>
#include <variant>

#include "data_test_support.hpp"

using namespace jepasnn::data;
using jepasnn::test::TempDir;
namespace fs = std::filesystem;

namespace {

/// The fixture copied into `dir`, read back as a session.
struct StoreSource {
    fs::path nwb;
    Session session;
    BinGrid grid;
    std::vector<std::size_t> units;
};

StoreSource store_source(const TempDir& dir, double bin_width = 0.01) {
    StoreSource s;
    s.nwb = dir / "session.nwb";
    fs::copy_file(jepasnn::test::fixture_nwb(), s.nwb);
    s.session = load_session(s.nwb);
    s.grid = BinGrid::covering({0.0, s.session.extent().stop}, bin_width);
    s.units = qc_filter_named("default").select(s.session.units);
    return s;
}

fs::path write_source_store(const TempDir& dir, const StoreSource& s, CountDType dtype,
                            const std::string& name = "s.h5") {
    const fs::path path = dir / name;
    write_store(path, StoreHeader::of(s.session, s.nwb, s.grid, s.units, "default"),
                bin_spikes_as(dtype, s.session.units, s.grid, s.units));
    return path;
}

}  // namespace

TEST_CASE("a store round-trips counts, grid, units, states and the source's identity") {
    TempDir dir;
    const StoreSource s = store_source(dir);
    for (const CountDType dtype : {CountDType::uint8, CountDType::uint16, CountDType::int32}) {
        const Counts counts = bin_spikes_as(dtype, s.session.units, s.grid, s.units);
        const fs::path path = write_source_store(dir, s, dtype);
        const BinnedStore store(path);
        const StoreHeader& h = store.header();
        CHECK(store.dtype() == std::visit(
                                   []<class C>(const jepasnn::Tensor<C, 2>&) {
                                       return std::string(count_type_name<C>());
                                   },
                                   counts));
        CHECK(h.grid.t_start == s.grid.t_start);
        CHECK(h.grid.bin_width == s.grid.bin_width);
        CHECK(h.grid.n_bins == s.grid.n_bins);
        REQUIRE(h.unit_ids.size() == s.units.size());
        for (std::size_t j = 0; j < s.units.size(); ++j) {
            CHECK(h.unit_ids[j] == s.session.units.id(s.units[j]));
            CHECK(h.unit_rows[j] == static_cast<std::int64_t>(s.units[j]));
        }
        CHECK(h.state == bin_states(s.session, s.grid));
        CHECK(h.qc == "default");
        CHECK(h.source == s.nwb);
        CHECK(h.source_identifier == s.session.info.identifier);
        CHECK(h.source_identity.size == fs::file_size(s.nwb));
        CHECK(h.source_identity.crc32 == jepasnn::file_crc32(s.nwb));
        const Counts back = store.read_all();
        REQUIRE(back.index() == counts.index());
        CHECK(std::visit(
            [&](const auto& a) {
                return std::visit([&](const auto& b) { return jepasnn::test::same_tensor(a, b); },
                                  counts);
            },
            back));
        CHECK_NOTHROW(store.check_source(s.nwb));
    }
    // The file is written whole or not at all: no temporary sibling stays behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
        ++files;
    CHECK(files == 2);  // session.nwb and s.h5
}

TEST_CASE("windows read from a store equal the slices of the counts") {
    TempDir dir;
    const StoreSource s = store_source(dir);
    const fs::path path = write_source_store(dir, s, CountDType::uint8);
    const auto counts = bin_spikes<std::int32_t>(s.session.units, s.grid, s.units);
    const BinnedStore store(path);
    const std::size_t n_units = s.units.size();
    rc::prop("any window, read as uint8, uint16 or int32", [&] {
        const auto first = *rc::gen::inRange<std::size_t>(0, store.bins());
        const auto n = *rc::gen::inRange<std::size_t>(
            0, std::min<std::size_t>(store.bins() - first, 3000) + 1);
        auto check = [&]<class C>() {
            std::vector<C> window(n * n_units);
            store.read_window<C>(first, n, window);
            for (std::size_t i = 0; i < window.size(); ++i)
                RC_ASSERT(static_cast<std::int32_t>(window[i]) ==
                          counts.data()[first * n_units + i]);
        };
        check.template operator()<std::uint8_t>();
        check.template operator()<std::uint16_t>();
        check.template operator()<std::int32_t>();
    });
    std::vector<std::int32_t> past(2 * n_units);
    CHECK_THROWS_WITH(store.read_window<std::int32_t>(store.bins() - 1, 2, past),
                      Catch::Contains("runs past the store's"));
    const BinnedStore wide(write_source_store(dir, s, CountDType::uint16, "wide.h5"));
    std::vector<std::uint8_t> narrow(n_units);
    CHECK_THROWS_WITH(wide.read_window<std::uint8_t>(0, 1, narrow),
                      Catch::Contains("uint16 store read as uint8"));
}

TEST_CASE("a store binned straight from the file equals the store of the in-memory counts") {
    TempDir dir;
    const StoreSource s = store_source(dir);
    const NwbFile file(s.nwb);
    const Session metadata = load_session_metadata(file);
    // The metadata alone gives the same extent (from each unit's first and last spike), header
    // and QC selection.
    CHECK(metadata.extent().start == s.session.extent().start);
    CHECK(metadata.extent().stop == s.session.extent().stop);
    CHECK(qc_filter_named("default").select(metadata.units) == s.units);
    const StoreHeader header = StoreHeader::of(metadata, s.nwb, s.grid, s.units, "default");
    const std::size_t column_bytes = s.grid.n_bins;  // one uint8 column
    // One column per group, groups of 4 (the last one short) and one group of everything.
    for (const std::size_t group_bytes : {column_bytes, 4 * column_bytes, std::size_t{1} << 28})
        for (const CountDType dtype :
             {CountDType::narrowest, CountDType::uint16, CountDType::int32}) {
            INFO("group bytes " << group_bytes << ", dtype " << static_cast<int>(dtype));
            StreamingOptions o;
            o.group_bytes = group_bytes;
            o.chunk_spikes = 1000;
            const fs::path path = dir / "streamed.h5";
            const std::string written(bin_file_to_store(path, header, file, dtype, o));
            const BinnedStore store(path);
            CHECK(store.dtype() == written);
            CHECK(store.header().unit_rows == header.unit_rows);
            CHECK(store.header().state == bin_states(s.session, s.grid));
            const Counts counts = bin_spikes_as(dtype, s.session.units, s.grid, s.units);
            const Counts back = store.read_all();
            REQUIRE(back.index() == counts.index());
            CHECK(std::visit(
                [&](const auto& a) {
                    return std::visit(
                        [&](const auto& b) { return jepasnn::test::same_tensor(a, b); }, counts);
                },
                back));
            // A window across chunk rows and column groups.
            const auto all = bin_spikes<std::int32_t>(s.session.units, s.grid, s.units);
            std::vector<std::int32_t> window(300 * s.units.size());
            store.read_window<std::int32_t>(1000, 300, window);
            CHECK(std::equal(window.begin(), window.end(), all.data() + 1000 * s.units.size()));
        }
}

TEST_CASE("a streamed store write widens or refuses counts like bin_file and leaves nothing") {
    TempDir dir;
    const StoreSource s = store_source(dir, 10.0);  // 10 s bins: the busiest units pass 255
    const NwbFile file(s.nwb);
    const StoreHeader header = StoreHeader::of(s.session, s.nwb, s.grid, s.units, "default");
    StreamingOptions o;
    o.group_bytes = s.grid.n_bins;  // one column per group: the first overflow is found across
                                    // groups, by bin, then column
    const fs::path path = dir / "coarse.h5";
    CHECK(bin_file_to_store(path, header, file, CountDType::narrowest, o) == "uint16");
    CHECK(BinnedStore(path).dtype() == "uint16");
    fs::remove(path);
    std::string expected;
    try {
        (void)bin_file<std::uint8_t>(file, s.grid, s.units);
    } catch (const jepasnn::Error& e) {
        expected = e.what();
    }
    REQUIRE(expected.find("more than 255 spikes in bin") != std::string::npos);
    CHECK_THROWS_WITH(bin_file_to_store(path, header, file, CountDType::uint8, o),
                      Catch::Equals(expected));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
        ++files;
    CHECK(files == 1);  // session.nwb alone: no store, no temporary sibling
}

TEST_CASE("a store whose NWB file changed is refused") {
    TempDir dir;
    const StoreSource s = store_source(dir, 0.1);
    const BinnedStore store(write_source_store(dir, s, CountDType::narrowest));
    // A copy with a new time but the same bytes is the same source (the checksum decides).
    fs::last_write_time(s.nwb, fs::last_write_time(s.nwb) + std::chrono::seconds(5));
    CHECK_NOTHROW(store.check_source(s.nwb));
    // One byte changed, same size: refused by the checksum.
    {
        std::fstream f(s.nwb, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(-1, std::ios::end);
        char c = 0;
        f.get(c);
        f.seekp(-1, std::ios::end);
        f.put(static_cast<char>(c ^ 0x5a));
    }
    CHECK_THROWS_WITH(store.check_source(s.nwb), Catch::Contains(store.path()) &&
                                                     Catch::Contains("is stale") &&
                                                     Catch::Contains("jepasnn bin --store"));
    // A different size is refused without reading; a missing file is named.
    std::ofstream(s.nwb, std::ios::app) << 'x';
    CHECK_THROWS_WITH(store.check_source(s.nwb), Catch::Contains("is stale"));
    fs::remove(s.nwb);
    CHECK_THROWS_WITH(store.check_source(s.nwb), Catch::Contains("does not exist"));
}

TEST_CASE("malformed stores and failed writes give one-line errors and leave nothing") {
    TempDir dir;
    const StoreSource s = store_source(dir, 0.1);
    const fs::path good = write_source_store(dir, s, CountDType::uint8);
    CHECK_THROWS_WITH(BinnedStore(s.nwb), Catch::Contains("not a binned store"));
    CHECK_THROWS_WITH(BinnedStore(dir / "none.h5"), Catch::Contains("none.h5"));
    auto patched = [&](const std::string& name, auto&& patch) {
        const fs::path out = dir / name;
        fs::copy_file(good, out);
        hdf5::Writer w(out, hdf5::Writer::Mode::modify);
        patch(w);
        w.close();
        return out;
    };
    const BinGrid& g = s.grid;
    const std::size_t n_units = s.units.size();
    const auto no_state = patched("no_state.h5", [](hdf5::Writer& w) { w.remove("/state"); });
    CHECK_THROWS_WITH(BinnedStore(no_state), Catch::Contains("lacks /state"));
    const auto short_state = patched("short_state.h5", [&](hdf5::Writer& w) {
        w.remove("/state");
        w.numbers<std::int8_t>("/state", std::vector<std::int8_t>(g.n_bins - 1, 0));
    });
    CHECK_THROWS_WITH(BinnedStore(short_state),
                      Catch::Contains("/state has " + std::to_string(g.n_bins - 1)));
    const auto floats = patched("floats.h5", [&](hdf5::Writer& w) {
        w.remove("/counts");
        w.numbers<double>("/counts", std::vector<double>(g.n_bins * n_units, 0.0),
                          {static_cast<hsize_t>(g.n_bins), static_cast<hsize_t>(n_units)});
    });
    CHECK_THROWS_WITH(BinnedStore(floats), Catch::Contains("holds float64"));
    const auto future = patched(
        "future.h5", [](hdf5::Writer& w) { w.attribute("/", "jepasnn_store", std::int64_t{2}); });
    CHECK_THROWS_WITH(BinnedStore(future), Catch::Contains("store format 2"));
    const auto no_crc =
        patched("no_crc.h5", [](hdf5::Writer& w) { H5Adelete(w.id(), "source_crc32"); });
    CHECK_THROWS_WITH(BinnedStore(no_crc), Catch::Contains("'source_crc32'"));

    // Counts that disagree with the header, or a path that cannot be created: nothing written.
    TempDir out;
    const StoreHeader h = StoreHeader::of(s.session, s.nwb, s.grid, s.units, "default");
    const Counts wrong =
        bin_spikes_as(CountDType::uint8, s.session.units, s.grid, std::vector<std::size_t>{0});
    CHECK_THROWS_WITH(write_store(out / "w.h5", h, wrong), Catch::Contains("header describes"));
    const Counts right = bin_spikes_as(CountDType::uint8, s.session.units, s.grid, s.units);
    CHECK_THROWS_WITH(write_store(out / "no/such/dir/s.h5", h, right), Catch::Contains("s.h5"));
    CHECK(fs::is_empty(out.path()));
}
