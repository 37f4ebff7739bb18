// Every measure of the family for one pair of views, from a single factorization: what the CLI,
// the example and the paper print side by side (CCA says "linearly related", CKA and Procrustes
// say "related up to a rotation", the chance level says how much CCA alone would show by luck).
#pragma once

#include "canonical_correlations.hpp"
#include "cka.hpp"
#include "procrustes.hpp"
#include "pwcca.hpp"
#include "svcca.hpp"

namespace jepasnn::cca {

struct SimilarityReportOptions {
    CcaOptions cca{};  // ridge and rank tolerance of the CCA (variates are not kept)
    SvccaOptions svcca{};
};

struct SimilarityReport {
    CcaResult cca;
    SvccaResult svcca;
    PwccaResult pwcca;
    ProcrustesResult procrustes;
    double linear_cka = 0.0;
    double debiased_cka = 0.0;
    double chance_sum_r2 = 0.0;  // pq/(n − 1), the chance level of Σρ²
};

/// All measures for X (n × p) and Y (n × q), float or double, rows = samples. Throws Error for
/// different row counts, NaN/Inf, fewer than max(p, q) + 1 rows, or a constant view.
template <class DX, class DY>
SimilarityReport compare_representations(const Eigen::MatrixBase<DX>& x,
                                         const Eigen::MatrixBase<DY>& y,
                                         const SimilarityReportOptions& options = {}) {
    detail::require_cca_scalar<DX>();
    detail::require_cca_scalar<DY>();
    constexpr std::string_view where = "cca::compare_representations";
    const ConstRowRef<typename DX::Scalar> xr(x.derived());
    const ConstRowRef<typename DY::Scalar> yr(y.derived());
    detail::check_pair(where, xr, yr);
    const ScatterFactor f = detail::factor_rows(where, xr, yr);
    SimilarityReport r;
    CcaOptions cca_options = options.cca;
    cca_options.variates = false;
    r.cca = canonical_correlations(f, cca_options);
    r.svcca = svcca(f, options.svcca);
    PwccaOptions pw;
    pw.rank_tolerance = options.cca.rank_tolerance;
    r.pwcca = pwcca(f, pw);
    r.procrustes = angular_procrustes(f);
    r.linear_cka = linear_cka(f);
    r.debiased_cka = f.count >= 4 ? detail::debiased_cka(where, f, xr, yr) : 0.0;
    r.chance_sum_r2 = chance_level(f.p, f.q, f.count);
    return r;
}

}  // namespace jepasnn::cca
