// jepasnn info FILE.nwb [--json]: what a session file holds. The JSON (DESIGN.md contract) has
// n_units, total_spikes, units (id, n_spikes, plus location and every per-unit metric column
// present) and blocks (block, active, start = first start_time, stop = last stop_time, tables),
// plus the file's identity, interval tables and running speed. Given a binned store (jepasnn bin
// --store) it describes the store instead: grid, count type, units, bins per state, total spikes
// and whether its NWB file is still the one it was binned from.
#include <jepasnn/core/json.hpp>
#include <jepasnn/data/binned_store.hpp>
#include <jepasnn/data/session.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include "command.hpp"

namespace {

struct InfoOptions {
    std::string file;
    bool json = false;
};

jepasnn::Json info_json(const jepasnn::data::Session& s) {
    using jepasnn::Json;
    const jepasnn::data::UnitTable& u = s.units;
    Json j;
    j["file"] = s.path;
    j["identifier"] = s.info.identifier;
    j["session_description"] = s.info.session_description;
    j["session_start_time"] = s.info.session_start_time;
    j["nwb_version"] = s.info.nwb_version;
    j["n_units"] = u.size();
    j["total_spikes"] = u.total_spikes();
    j["location_source"] = u.location_source();
    const jepasnn::data::TimeRange extent = s.extent();
    j["extent"] = {extent.start, extent.stop};
    Json columns = Json::array();
    for (const auto& c : u.columns().columns())
        columns.push_back({{"name", c.name()},
                           {"kind", jepasnn::data::kind_name(c.kind())},
                           {"stored_as", c.stored_as()},
                           {"ragged", c.is_ragged()}});
    for (const auto& c : u.columns().skipped())
        columns.push_back({{"name", c.name}, {"skipped", c.reason}});
    j["unit_columns"] = columns;
    Json units = Json::array();
    for (std::size_t i = 0; i < u.size(); ++i) {
        Json unit;
        unit["id"] = u.id(i);
        unit["n_spikes"] = u.n_spikes(i);
        if (u.has_locations()) unit["location"] = u.locations()[i];
        for (const auto& c : u.columns().columns())
            if (c.is_scalar() && c.kind() != jepasnn::data::ColumnKind::reference)
                unit[c.name()] = c.json(i);
        units.push_back(std::move(unit));
    }
    j["units"] = units;
    Json blocks = Json::array();
    for (const auto& b : s.blocks)
        blocks.push_back({{"block", b.block},
                          {"active", b.active},
                          {"start", b.start},
                          {"stop", b.stop},
                          {"tables", b.tables}});
    j["blocks"] = blocks;
    Json intervals = Json::array();
    for (const auto& t : s.intervals)
        intervals.push_back(
            {{"name", t.name()}, {"rows", t.rows()}, {"columns", t.column_names()}});
    j["intervals"] = intervals;
    if (s.running_speed && s.running_speed->size() > 0)
        j["running_speed"] = {{"samples", s.running_speed->size()},
                              {"start", s.running_speed->timestamps.front()},
                              {"stop", s.running_speed->timestamps.back()},
                              {"unit", s.running_speed->unit}};
    else
        j["running_speed"] = nullptr;
    return j;
}

void print_text(const jepasnn::data::Session& s) {
    const auto& u = s.units;
    std::printf("%s\n", s.path.c_str());
    std::printf("  identifier   %s (NWB %s)\n", s.info.identifier.c_str(),
                s.info.nwb_version.c_str());
    std::printf("  units        %zu, %llu spikes, areas from %s\n", u.size(),
                static_cast<unsigned long long>(u.total_spikes()),
                u.location_source().empty() ? "nowhere" : u.location_source().c_str());
    std::string names;
    for (const auto& c : u.columns().column_names())
        names += (names.empty() ? "" : ", ") + c;
    std::printf("  unit columns %s\n", names.empty() ? "(none)" : names.c_str());
    const auto extent = s.extent();
    std::printf("  time         %.3f .. %.3f s\n", extent.start, extent.stop);
    for (const auto& b : s.blocks)
        std::printf("  block %-3lld   %-7s %10.3f .. %10.3f s  (%zu table%s)\n",
                    static_cast<long long>(b.block), b.active ? "active" : "passive", b.start,
                    b.stop, b.tables.size(), b.tables.size() == 1 ? "" : "s");
    for (const auto& t : s.intervals)
        std::printf("  table        %s: %zu rows\n", t.name().c_str(), t.rows());
    if (s.running_speed)
        std::printf("  running      %zu samples (%s)\n", s.running_speed->size(),
                    s.running_speed->unit.c_str());
}

jepasnn::Json store_json(const jepasnn::data::BinnedStore& store) {
    namespace data = jepasnn::data;
    const data::StoreHeader& h = store.header();
    jepasnn::Json j;
    j["file"] = store.path();
    j["format"] = data::store_format_version;
    j["dtype"] = store.dtype();
    j["n_bins"] = store.bins();
    j["n_units"] = store.units();
    j["t_start"] = h.grid.t_start;
    j["bin_width"] = h.grid.bin_width;
    j["qc"] = h.qc;
    j["unit_ids"] = h.unit_ids;
    std::int64_t active = 0, passive = 0, other = 0;
    for (const std::int8_t s : h.state)
        (s == static_cast<std::int8_t>(data::BinState::active)    ? active
         : s == static_cast<std::int8_t>(data::BinState::passive) ? passive
                                                                  : other)++;
    j["bins_per_state"] = {{"active", active}, {"passive", passive}, {"other", other}};
    // Total spikes, a window at a time (bounded memory whatever the session's length).
    constexpr std::size_t window = 4096;
    std::vector<std::int32_t> buffer;
    std::int64_t total = 0;
    for (std::size_t first = 0; first < store.bins(); first += window) {
        const std::size_t n = std::min(window, store.bins() - first);
        buffer.resize(n * store.units());
        store.read_window<std::int32_t>(first, n, buffer);
        for (const std::int32_t c : buffer)
            total += c;
    }
    j["total_spikes"] = total;
    j["source"] = {{"path", h.source.string()},
                   {"identifier", h.source_identifier},
                   {"size", h.source_identity.size},
                   {"crc32", h.source_identity.crc32},
                   {"status", std::string(jepasnn::enum_name(store.source_status(h.source)))}};
    return j;
}

void print_store(const jepasnn::Json& j) {
    std::printf("%s (binned store, format %d)\n", j["file"].get<std::string>().c_str(),
                j["format"].get<int>());
    std::printf("  counts       %zu bins x %zu units, %s, %lld spikes\n",
                j["n_bins"].get<std::size_t>(), j["n_units"].get<std::size_t>(),
                j["dtype"].get<std::string>().c_str(),
                static_cast<long long>(j["total_spikes"].get<std::int64_t>()));
    std::printf("  grid         %g ms bins from %.3f s, qc %s\n",
                1000.0 * j["bin_width"].get<double>(), j["t_start"].get<double>(),
                j["qc"].get<std::string>().c_str());
    const jepasnn::Json& b = j["bins_per_state"];
    std::printf("  states       %lld active, %lld passive, %lld other bins\n",
                static_cast<long long>(b["active"].get<std::int64_t>()),
                static_cast<long long>(b["passive"].get<std::int64_t>()),
                static_cast<long long>(b["other"].get<std::int64_t>()));
    const jepasnn::Json& src = j["source"];
    std::printf("  source       %s (%s): %s\n", src["path"].get<std::string>().c_str(),
                src["identifier"].get<std::string>().c_str(),
                src["status"].get<std::string>().c_str());
}

/// Whether `path` is a binned store (an HDF5 file with the store's format attribute).
bool is_store(const std::string& path) {
    return jepasnn::data::hdf5::Reader(path).attribute_integer("/", "jepasnn_store").has_value();
}

void setup_info(CLI::App& app) {
    auto o = std::make_shared<InfoOptions>();
    app.add_option("FILE", o->file, "NWB session file or binned store")->required();
    app.add_flag("--json", o->json, "print JSON (n_units, total_spikes, units, blocks, ...)");
    app.callback([o] {
        if (is_store(o->file)) {
            const jepasnn::Json j = store_json(jepasnn::data::BinnedStore(o->file));
            if (o->json)
                std::cout << j.dump(1) << std::endl;
            else
                print_store(j);
            return;
        }
        jepasnn::data::ReadOptions read;
        read.ragged_columns = false;  // spike amplitudes etc. are not summarised
        const jepasnn::data::Session s = jepasnn::data::load_session(o->file, read);
        if (o->json)
            std::cout << info_json(s).dump(1) << std::endl;
        else
            print_text(s);
    });
}

const jepasnn::cli::CommandRegistration info_registration{
    "info",
    "Summarise an NWB session (units, columns, blocks, tables, running speed) or a binned store",
    setup_info};

}  // namespace
