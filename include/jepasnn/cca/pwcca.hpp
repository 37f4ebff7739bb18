// Projection-weighted CCA (Morcos, Raghu & Bengio, "Insights on representational similarity in
// neural networks with canonical correlation", NeurIPS 2018): the canonical correlations averaged
// with weights that say how much of X's own activity each canonical direction accounts for, so
// that directions which merely fit noise count for little. Asymmetric: X is the representation
// being explained. Invariant to translation and isotropic scaling of either view, to permutations
// and sign flips of X's units, and to any invertible linear map of Y (Y enters only through its
// column space); not to rotations of X, which mix the units the weights sum over.
#pragma once

#include <string_view>

#include "canonical_correlations.hpp"

namespace jepasnn::cca {

struct PwccaOptions {
    /// Relative rank tolerance of the underlying CCA (0: max(n, p + q)·ε_machine).
    double rank_tolerance = 0.0;
};

struct PwccaResult {
    Vector<double> correlations;  // (k) canonical correlations, descending
    Vector<double> weights;       // (k) α_i >= 0, Σα_i = 1
    double similarity = 0.0;      // Σ α_i ρ_i
};

/// PWCCA from a joint factor. With h_i the unit-norm canonical variates of X and x_j its centred
/// units, α_i ∝ Σ_j |⟨h_i, x_j⟩| (Morcos et al. 2018, §2.4); in factor coordinates
/// Xcᵀh_i = r_xᵀ·(basis·u_i), no data pass needed.
inline PwccaResult pwcca(const ScatterFactor& f, const PwccaOptions& options = {}) {
    constexpr std::string_view where = "cca::pwcca";
    detail::check_factor(where, f);
    CcaOptions cca_options;
    cca_options.rank_tolerance = options.rank_tolerance;
    detail::check_options(where, cca_options);
    const detail::CanonicalPairs pairs =
        detail::pivoted_pairs(where, f, 0.0, detail::rank_tolerance(cca_options, f));
    const Matrix<double> directions = pairs.x.basis * pairs.left;   // (p, k) unit-norm h_i
    const Matrix<double> loads = f.r_x().transpose() * directions;  // (p, k) ⟨x_j, h_i⟩
    PwccaResult out;
    out.correlations = pairs.rho;
    out.weights = loads.cwiseAbs().colwise().sum().transpose();  // (k)
    out.weights /= out.weights.sum();
    out.similarity = out.weights.dot(out.correlations);
    return out;
}

/// PWCCA of two views with the same rows (float or double, row-major samples × features).
template <class DX, class DY>
PwccaResult pwcca(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                  const PwccaOptions& options = {}) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    detail::check_pair("cca::pwcca", xr, yr);
    return pwcca(detail::factor_rows("cca::pwcca", xr, yr), options);
}

}  // namespace jepasnn::cca
