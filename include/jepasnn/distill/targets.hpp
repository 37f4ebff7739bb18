// The teacher latents a student is distilled to (bins × d), held in memory or read from the
// teacher's float64 .npy a block of rows at a time (a VBN-size session's latents are 0.9 GB), and
// optionally projected on their principal axes. Batches, monitoring, evaluation and the checkpoint
// fingerprint read rows through the same code from both, so the results do not depend on where
// the latents live.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "../core/error.hpp"
#include "../core/npy_rows.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::distill {

class Targets {
  public:
    /// No rows.
    Targets() = default;
    /// Latents held in memory.
    explicit Targets(RowMatrix<double> latents)
        : source_(std::make_shared<const RowMatrix<double>>(std::move(latents))) {}
    /// Latents read from a float64 (bins, d) .npy file when asked for.
    explicit Targets(NpyRows<double> file) : source_(std::move(file)) {}

    Index rows() const {
        return std::visit([](const auto& s) { return rows_of(s); }, source_);
    }
    /// Columns of the rows read: the number of principal axes when projected, else d.
    Index cols() const { return projection_ ? projection_->axes.cols() : raw_cols(); }
    /// Where the latents come from: their file, or "latents in memory".
    std::string origin() const {
        if (const auto* f = std::get_if<NpyRows<double>>(&source_)) return f->file();
        return "latents in memory";
    }
    /// Columns of the latents themselves.
    Index raw_cols() const {
        return std::visit([](const auto& s) { return cols_of(s); }, source_);
    }

    /// From now on rows are read as (latent − centre) · axes, centre (1 × d), axes (d × k).
    void project(RowVector<double> centre, Matrix<double> axes) {
        require(centre.size() == raw_cols() && axes.rows() == raw_cols() && axes.cols() >= 1,
                "distill::Targets::project", "centre has ", centre.size(), " entries and axes ",
                axes.rows(), "x", axes.cols(), " for ", raw_cols(), " latent dimensions");
        projection_ = std::make_shared<const Projection>(Projection{centre, axes});
    }

    /// The latents of bins [first, first + n), unprojected.
    RowMatrix<double> read_raw(Index first, Index n) const {
        require(first >= 0 && n >= 0 && first + n <= rows(), "distill::Targets", "bins ", first,
                "..", first + n, " run past the ", rows(), " bins of the latents");
        return std::visit(
            [&](const auto& s) -> RowMatrix<double> {
                if constexpr (std::is_same_v<std::decay_t<decltype(s)>, NpyRows<double>>)
                    return s.read(first, n);
                else
                    return s->middleRows(first, n);
            },
            source_);
    }

    /// The targets of bins [first, first + n) (n × cols()). A projected row is computed on its
    /// own, so its value does not depend on the block it is read in.
    RowMatrix<double> read(Index first, Index n) const {
        RowMatrix<double> raw = read_raw(first, n);
        if (!projection_) return raw;
        RowMatrix<double> out(n, projection_->axes.cols());
        for (Index r = 0; r < n; ++r)
            out.row(r).noalias() = (raw.row(r) - projection_->centre) * projection_->axes;
        return out;
    }

  private:
    struct Projection {
        RowVector<double> centre;
        Matrix<double> axes;
    };
    static Index rows_of(const NpyRows<double>& f) { return f.rows(); }
    static Index cols_of(const NpyRows<double>& f) { return f.cols(); }
    static Index rows_of(const std::shared_ptr<const RowMatrix<double>>& m) {
        return m ? m->rows() : 0;
    }
    static Index cols_of(const std::shared_ptr<const RowMatrix<double>>& m) {
        return m ? m->cols() : 0;
    }

    std::variant<std::shared_ptr<const RowMatrix<double>>, NpyRows<double>> source_;
    std::shared_ptr<const Projection> projection_;
};

}  // namespace jepasnn::distill
