// The cohort the paper runs on, as the later experiments see it: either the simulated cohort
// (cohort/sessions/cohort.json, with ground truth; data::Cohort documents it) or real NWB files
// listed by the cohort step in cohort/nwb_cohort.json (no ground truth, so experiments report
// their ground-truth metrics as not applicable instead of computing them).
#pragma once

#include <jepasnn/data/data.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jepasnn::paper {

/// Format tag of the real-data manifest written by the cohort driver.
inline constexpr const char* nwb_cohort_format = "jepasnn-paper-nwb-cohort";

struct CohortEntry {
    std::string name;                                   // "session_000" or the file's stem
    std::filesystem::path nwb;                          // absolute
    std::optional<std::filesystem::path> ground_truth;  // simulated cohorts only
};

struct PaperCohort {
    bool simulated = false;
    std::filesystem::path manifest;  // the file the cohort was read from
    std::vector<CohortEntry> sessions;

    bool has_ground_truth() const { return simulated; }

    /// Where the cohort step puts each kind of cohort under <paper dir>/cohort/.
    static std::filesystem::path simulated_dir(const std::filesystem::path& paper_dir) {
        return paper_dir / "cohort" / "sessions";
    }
    /// Where the teacher bins the cohort's sessions once (teacher::TeacherDataConfig::stores).
    static std::filesystem::path stores_dir(const std::filesystem::path& paper_dir) {
        return paper_dir / "cohort" / "stores";
    }
    static std::filesystem::path nwb_manifest(const std::filesystem::path& paper_dir) {
        return paper_dir / "cohort" / "nwb_cohort.json";
    }

    /// Reads whichever cohort the cohort step wrote into `paper_dir`.
    static PaperCohort read(const std::filesystem::path& paper_dir) {
        PaperCohort c;
        const std::filesystem::path sim = simulated_dir(paper_dir);
        if (std::filesystem::exists(sim / "cohort.json")) {
            const data::Cohort cohort = data::Cohort::read(sim);
            c.simulated = true;
            c.manifest = sim / "cohort.json";
            for (const data::CohortSession& s : cohort.sessions)
                c.sessions.push_back({s.name, s.nwb, s.ground_truth});
            return c;
        }
        c.manifest = nwb_manifest(paper_dir);
        if (!std::filesystem::exists(c.manifest))
            fail((paper_dir / "cohort").string(),
                 "no cohort found (neither sessions/cohort.json nor nwb_cohort.json); run the "
                 "cohort experiment first");
        const std::string where = c.manifest.string();
        const Json doc = read_json(c.manifest);
        if (json_get<std::string>(doc, "format", where) != nwb_cohort_format)
            fail(where, "format is not '", nwb_cohort_format, "'");
        for (const Json& s : json_get<Json>(doc, "sessions", where))
            c.sessions.push_back({json_get<std::string>(s, "name", where),
                                  json_get<std::string>(s, "nwb", where), std::nullopt});
        require(!c.sessions.empty(), where, "lists no sessions");
        return c;
    }
};

}  // namespace jepasnn::paper
