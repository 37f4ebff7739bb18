// Contiguous cross-validation folds for time series: fold i tests one contiguous block of rows
// (scikit-learn's KFold without shuffling: the first n mod k folds hold one extra row), and an
// optional gap removes rows adjacent to the test block from training, so autocorrelated
// neighbours do not leak into the fit.
#pragma once

#include <algorithm>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace jepasnn::eval {

struct Fold {
    std::vector<Index> train;
    std::vector<Index> test;
};

inline std::vector<Fold> contiguous_folds(Index n, Index k, Index gap = 0) {
    constexpr std::string_view where = "eval::contiguous_folds";
    require(k >= 2, where, "fold count is ", k, ", expected >= 2");
    require(n >= k, where, "only ", n, " rows for ", k, " folds");
    require(gap >= 0, where, "gap is ", gap, ", expected >= 0");
    std::vector<Fold> folds(static_cast<std::size_t>(k));
    Index start = 0;
    for (Index i = 0; i < k; ++i) {
        const Index size = n / k + (i < n % k ? 1 : 0);
        Fold& f = folds[static_cast<std::size_t>(i)];
        for (Index r = 0; r < n; ++r) {
            if (r >= start && r < start + size)
                f.test.push_back(r);
            else if (r < start - gap || r >= start + size + gap)
                f.train.push_back(r);
        }
        require(!f.train.empty(), where, "fold ", i, " has no training rows left with gap ", gap);
        start += size;
    }
    return folds;
}

}  // namespace jepasnn::eval
