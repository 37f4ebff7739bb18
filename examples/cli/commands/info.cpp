// jepasnn info FILE.nwb [--json]: what a session file holds. The JSON (DESIGN.md contract) has
// n_units, total_spikes, units (id, n_spikes, plus location and every per-unit metric column
// present) and blocks (block, active, start = first start_time, stop = last stop_time, tables),
// plus the file's identity, interval tables and running speed.
#include <jepasnn/core/json.hpp>
#include <jepasnn/data/session.hpp>

#include <cstdio>
#include <iostream>

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

void setup_info(CLI::App& app) {
    auto o = std::make_shared<InfoOptions>();
    app.add_option("FILE.nwb", o->file, "NWB session file")->required();
    app.add_flag("--json", o->json, "print JSON (n_units, total_spikes, units, blocks, ...)");
    app.callback([o] {
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
    "info", "Summarise an NWB session: units, columns, blocks, tables, running speed", setup_info};

}  // namespace
