// Binned stores for tests: counts given as a matrix, written under a made-up header (no NWB file
// behind them) and opened as a data::CountSource.
#pragma once

#include <jepasnn/data/count_source.hpp>

#include <filesystem>

namespace jepasnn::test {

inline data::CountSource store_of(const RowMatrix<double>& counts,
                                  const std::filesystem::path& path) {
    data::StoreHeader h;
    h.grid = {0.0, 0.01, static_cast<std::size_t>(counts.rows())};
    for (Index u = 0; u < counts.cols(); ++u) {
        h.unit_ids.push_back(100 + u);
        h.unit_rows.push_back(u);
    }
    h.state.assign(static_cast<std::size_t>(counts.rows()), 0);
    h.qc = "none";
    h.source = "toy.nwb";
    h.source_identifier = "toy";
    data::write_store(path, h, data::counts_from_matrix(counts, "test"));
    return data::CountSource::open_store(path);
}

}  // namespace jepasnn::test
