// Preprocessing of binned spike counts for the teacher: a variance-stabilising transform (√x or
// log(1 + x)), then a per-unit z-score whose mean and standard deviation are fitted on the
// training rows only, so nothing about held-out bins leaks into the model's input.
#pragma once

#include <array>
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/settings.hpp"
#include "../core/tensor.hpp"
#include "../data/time_split.hpp"
#include "config.hpp"

namespace jepasnn::jepa {

enum class CountTransform { sqrt, log1p, none };

constexpr std::array<std::pair<CountTransform, std::string_view>, 3> enum_names(CountTransform) {
    return {{{CountTransform::sqrt, "sqrt"},
             {CountTransform::log1p, "log1p"},
             {CountTransform::none, "none"}}};
}

inline double apply_transform(CountTransform t, double x) {
    switch (t) {
        case CountTransform::sqrt:
            return std::sqrt(x);
        case CountTransform::log1p:
            return std::log1p(x);
        case CountTransform::none:
            return x;
    }
    return x;
}

/// transform, then (x − mean_u)/scale_u per unit u.
struct UnitScaler {
    CountTransform transform = CountTransform::sqrt;
    Vector<double> mean;   // (U) of the transformed training rows
    Vector<double> scale;  // (U) population standard deviation; 1 for a unit constant there

    Index units() const { return mean.size(); }

    /// Fits on the rows of `counts` (bins × units) inside `train`. Counts must be finite and
    /// non-negative.
    template <class Derived>
    static UnitScaler fit(const Eigen::MatrixBase<Derived>& counts,
                          std::span<const data::RowRange> train, CountTransform transform) {
        constexpr std::string_view where = "jepa::UnitScaler::fit";
        const Index units = counts.cols();
        require(units > 0, where, "counts have no units");
        UnitScaler s;
        s.transform = transform;
        Vector<double> sum = Vector<double>::Zero(units), sum2 = Vector<double>::Zero(units);
        Index n = 0;
        for (const data::RowRange& r : train) {
            require(r.begin >= 0 && r.end <= counts.rows() && r.begin <= r.end, where,
                    "training rows [", r.begin, ", ", r.end, ") fall outside the ", counts.rows(),
                    " bins");
            for (Index t = r.begin; t < r.end; ++t)
                for (Index u = 0; u < units; ++u) {
                    const double x = static_cast<double>(counts(t, u));
                    require(std::isfinite(x) && x >= 0.0, where, "count at bin ", t, ", unit ", u,
                            " is ", x, ", expected a finite value >= 0");
                    const double y = apply_transform(transform, x);
                    sum(u) += y;
                    sum2(u) += y * y;
                }
            n += r.size();
        }
        require(n > 0, where, "no training rows to fit the z-score on");
        s.mean = sum / static_cast<double>(n);
        s.scale.resize(units);
        for (Index u = 0; u < units; ++u) {
            const double var =
                std::max(0.0, sum2(u) / static_cast<double>(n) - s.mean(u) * s.mean(u));
            s.scale(u) = var > 1e-12 ? std::sqrt(var) : 1.0;
        }
        return s;
    }

    /// The model input (bins × units) for counts of the same units.
    template <class T, class Derived>
    RowMatrix<T> apply(const Eigen::MatrixBase<Derived>& counts) const {
        constexpr std::string_view where = "jepa::UnitScaler::apply";
        require(counts.cols() == units(), where, "counts have ", counts.cols(),
                " units, the scaler was fitted on ", units());
        RowMatrix<T> out(counts.rows(), counts.cols());
        for (Index t = 0; t < counts.rows(); ++t)
            for (Index u = 0; u < units(); ++u) {
                const double x = static_cast<double>(counts(t, u));
                require(std::isfinite(x) && x >= 0.0, where, "count at bin ", t, ", unit ", u,
                        " is ", x, ", expected a finite value >= 0");
                out(t, u) = static_cast<T>((apply_transform(transform, x) - mean(u)) / scale(u));
            }
        return out;
    }

    static void fields(auto& s, auto&& field) {
        field("transform", s.transform);
        field("mean", s.mean);
        field("scale", s.scale);
    }
    void validate(std::string_view where) const {
        require(units() > 0 && mean.size() == scale.size(), where, "mean has ", mean.size(),
                " units and scale ", scale.size(), ", expected the same number > 0");
        for (Index u = 0; u < units(); ++u)
            require(std::isfinite(mean(u)) && std::isfinite(scale(u)) && scale(u) > 0.0, where,
                    "unit ", u, " has mean ", mean(u), " and scale ", scale(u),
                    ", expected finite values and scale > 0");
    }
};

}  // namespace jepasnn::jepa
