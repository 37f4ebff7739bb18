// An NWB DynamicTable in memory: row ids plus named columns that all have one row per id
// (units metrics, electrodes, stimulus presentations, trials). Columns the reader could not
// represent (compound types, region references, doubly ragged data) are listed, not dropped
// silently.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "column.hpp"

namespace jepasnn::data {

/// A column present in the file but not loaded, and why.
struct SkippedColumn {
    std::string name;
    std::string reason;
};

class Table {
  public:
    Table() = default;

    /// `path` is the table's location ("/intervals/trials"); `where` prefixes messages (usually
    /// "<file>: <path>"). Every column must have one row per id.
    Table(std::string path, std::vector<std::int64_t> ids, std::string where = {})
        : path_(std::move(path)),
          where_(where.empty() ? path_ : std::move(where)),
          ids_(std::move(ids)) {}

    const std::string& path() const { return path_; }
    const std::string& where() const { return where_; }
    /// The last path component ("trials").
    std::string name() const {
        const std::size_t slash = path_.rfind('/');
        return slash == std::string::npos ? path_ : path_.substr(slash + 1);
    }
    std::size_t rows() const { return ids_.size(); }
    std::span<const std::int64_t> ids() const { return ids_; }
    const std::vector<Column>& columns() const { return columns_; }
    const std::vector<SkippedColumn>& skipped() const { return skipped_; }

    void add(Column column) {
        require(find(column.name()) == nullptr, where_, "duplicate column '", column.name(), "'");
        if (column.rows() != rows())
            fail(column.where(), "column has ", column.rows(), " rows, expected ", rows(),
                 " (the number of ids)");
        columns_.push_back(std::move(column));
    }
    void add_skipped(std::string name, std::string reason) {
        skipped_.push_back({std::move(name), std::move(reason)});
    }

    const Column* find(std::string_view name) const {
        const auto it = std::find_if(columns_.begin(), columns_.end(),
                                     [&](const Column& c) { return c.name() == name; });
        return it == columns_.end() ? nullptr : &*it;
    }
    bool has(std::string_view name) const { return find(name) != nullptr; }

    /// The named column; a missing one is an error that lists the columns present.
    const Column& column(std::string_view name) const {
        if (const Column* c = find(name)) return *c;
        std::string present;
        for (const Column& c : columns_)
            present += (present.empty() ? "" : ", ") + c.name();
        fail(where_, "no column '", name, "' (columns: ", present.empty() ? "none" : present, ")");
    }

    std::vector<std::string> column_names() const {
        std::vector<std::string> names;
        for (const Column& c : columns_)
            names.push_back(c.name());
        return names;
    }

  private:
    std::string path_;
    std::string where_;
    std::vector<std::int64_t> ids_;
    std::vector<Column> columns_;
    std::vector<SkippedColumn> skipped_;
};

}  // namespace jepasnn::data
