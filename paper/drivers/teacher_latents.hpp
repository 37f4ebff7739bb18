// teacher.json: the teacher experiment's description of the latents it wrote (one .npy per
// session, float64, rows = bins of bin_width_s from t = 0), read by the student and cross_state
// experiments. One struct writes and reads it.
#pragma once

#include <jepasnn/core/core.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jepasnn::paper {

struct TeacherLatents {
    struct Session {
        std::string name;
        std::string file;  // relative to the teacher's folder
        bool heldout = false;
        Json details = Json::object();  // written as is (units, bins, dims, NWB file name)
    };
    static constexpr const char* format = "jepasnn-teacher-latents";

    std::filesystem::path dir;  // the teacher experiment's folder (not written)
    double bin_width_s = 0.01;
    Json details = Json::object();  // further top-level keys, written as is
    std::vector<Session> sessions;

    static std::filesystem::path file_in(const std::filesystem::path& teacher_dir) {
        return teacher_dir / "teacher.json";
    }
    static std::string default_file(const std::string& session) {
        return "latents_" + session + ".npy";
    }

    /// <teacher_dir>/teacher.json, or nullopt when the teacher experiment has not run.
    static std::optional<TeacherLatents> read_if_present(const std::filesystem::path& teacher_dir) {
        if (!std::filesystem::exists(file_in(teacher_dir))) return std::nullopt;
        const std::string where = file_in(teacher_dir).string();
        const Json j = read_json(file_in(teacher_dir));
        const std::string found = json_get<std::string>(j, "format", where);
        require(found == format, where, "format is '", found, "', expected '", format,
                "' (rerun the teacher experiment)");
        TeacherLatents t;
        t.dir = teacher_dir;
        t.bin_width_s = json_get_or(j, "bin_width_s", 0.01, where);
        require(t.bin_width_s > 0.0, where, "latent bin width is ", t.bin_width_s,
                " s, expected > 0");
        const Json sessions = json_get<Json>(j, "sessions", where);
        require(sessions.is_array() && !sessions.empty(), where, "lists no session");
        for (const Json& s : sessions) {
            Session e;
            e.name = json_get<std::string>(s, "name", where);
            e.file = json_get_or(s, "file", default_file(e.name), where);
            e.heldout = json_get_or(s, "heldout", false, where);
            t.sessions.push_back(std::move(e));
        }
        return t;
    }

    /// The session called `name`, or nullptr.
    const Session* find(const std::string& name) const {
        for (const Session& s : sessions)
            if (s.name == name) return &s;
        return nullptr;
    }

    /// The .npy file of session `name` (the default name when teacher.json does not list it).
    std::filesystem::path latents_file(const std::string& name) const {
        const Session* s = find(name);
        return dir / (s ? s->file : default_file(name));
    }

    void write() const {
        Json described = Json::array();
        for (const Session& s : sessions) {
            Json e = {{"name", s.name}, {"file", s.file}};
            e.update(s.details);
            e["heldout"] = s.heldout;
            described.push_back(std::move(e));
        }
        Json j = {{"format", format}, {"bin_width_s", bin_width_s}};
        j.update(details);
        j["sessions"] = std::move(described);
        write_json(file_in(dir), j);
    }
};

}  // namespace jepasnn::paper
