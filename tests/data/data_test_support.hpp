// Helpers of the data module's tests: the committed fixture and golden files, malformed copies
// of the fixture patched through the HDF5 API, and capturing what a call prints on stderr.
#pragma once

#include <jepasnn/core/json.hpp>
#include <jepasnn/data/hdf5_writer.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "test_support.hpp"

namespace jepasnn::test {

inline fs::path fixture_nwb() {
    return test_asset("fixtures/vbn_like_small.nwb");
}
inline Json golden(const std::string& name) {
    return read_json(test_asset("data/" + name));
}

/// A copy of the fixture in `dir`, modified by `patch` through the HDF5 API.
inline fs::path patched_fixture(const TempDir& dir, const std::string& name,
                                const std::function<void(data::hdf5::Writer&)>& patch) {
    const fs::path out = dir / name;
    fs::copy_file(fixture_nwb(), out, fs::copy_options::overwrite_existing);
    data::hdf5::Writer w(out, data::hdf5::Writer::Mode::modify);
    patch(w);
    w.close();
    return out;
}

/// Same shape and elements (Catch cannot decompose xtensor's element-wise operator==).
template <class A, class B>
bool same_tensor(const A& a, const B& b) {
    return a.dimension() == b.dimension() &&
           std::equal(a.shape().begin(), a.shape().end(), b.shape().begin()) &&
           std::equal(a.begin(), a.end(), b.begin(), b.end());
}

/// What `f` writes to the process's stderr (file descriptor 2), e.g. HDF5 error-stack noise.
inline std::string captured_stderr(const std::function<void()>& f) {
    TempDir dir;
    const fs::path file = dir / "stderr.txt";
    std::fflush(stderr);
    const int saved = ::dup(2);
    FILE* sink = std::fopen(file.c_str(), "w");
    ::dup2(::fileno(sink), 2);
    try {
        f();
    } catch (...) {
        std::fflush(stderr);
        ::dup2(saved, 2);
        ::close(saved);
        std::fclose(sink);
        throw;
    }
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::fclose(sink);
    return read_text(file);
}

}  // namespace jepasnn::test
