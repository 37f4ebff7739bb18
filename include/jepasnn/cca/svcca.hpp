// SVCCA (Raghu et al., "SVCCA: singular vector canonical correlation analysis for deep learning
// dynamics and interpretability", NeurIPS 2017): keep each view's leading principal subspace
// (99% of its variance by cumulative s²), then CCA between the two subspaces. Invariant to
// orthogonal maps, translation and isotropic scaling of either view; not to general invertible
// maps, which change what the truncation keeps.
#pragma once

#include <cmath>
#include <string_view>

#include "canonical_correlations.hpp"

namespace jepasnn::cca {

struct SvccaOptions {
    /// Share of each view's variance its kept principal subspace must reach, in (0, 1].
    double variance_kept = 0.99;
    /// Singular values <= τ·s_1 count as zero (0: max(n, p + q)·ε_machine).
    double rank_tolerance = 0.0;
};

struct SvccaResult {
    Vector<double> correlations;  // (min(kept_x, kept_y)) descending
    Index kept_x = 0;             // principal directions kept in X
    Index kept_y = 0;
    double similarity = 0.0;  // mean correlation (Raghu et al.'s summary)
};

/// SVCCA from a joint factor: X's principal directions are the left singular vectors of its
/// block r_x (Xc = Q·r_x), so no data pass is needed.
inline SvccaResult svcca(const ScatterFactor& f, const SvccaOptions& options = {}) {
    constexpr std::string_view where = "cca::svcca";
    detail::check_factor(where, f);
    require(options.variance_kept > 0.0 && options.variance_kept <= 1.0, where,
            "variance_kept must be in (0, 1], found ", options.variance_kept);
    CcaOptions cca_options;
    cca_options.rank_tolerance = options.rank_tolerance;
    detail::check_options(where, cca_options);
    const double tol = detail::rank_tolerance(cca_options, f);
    detail::SubspaceBasis bx = detail::principal_basis(f.r_x(), options.variance_kept, tol);
    detail::SubspaceBasis by = detail::principal_basis(f.r_y(), options.variance_kept, tol);
    detail::require_nonconstant(where, "X", bx);
    detail::require_nonconstant(where, "Y", by);
    SvccaResult out;
    out.kept_x = bx.rank;
    out.kept_y = by.rank;
    out.correlations = detail::canonical_pairs(std::move(bx), std::move(by)).rho;
    out.similarity = out.correlations.mean();
    return out;
}

/// SVCCA of two views with the same rows (float or double, row-major samples × features).
template <class DX, class DY>
SvccaResult svcca(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                  const SvccaOptions& options = {}) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    detail::check_pair("cca::svcca", xr, yr);
    return svcca(detail::factor_rows("cca::svcca", xr, yr), options);
}

}  // namespace jepasnn::cca
