// Comparing two representations of the same time bins, as one would compare a student network's
// readout with a teacher's latents: in-sample CCA, CKA and Procrustes, then the honest versions
// (a circular-shift null at the same n, cross-validated and held-out CCA). Two students are
// compared: one that carries the teacher's latent dynamics through an unknown linear map plus
// noise, and one with slow dynamics of its own that are unrelated to the teacher. In-sample CCA
// gives the unrelated one a clearly positive score, and a row-permutation null (which destroys
// the autocorrelation) calls it significant; the circular-shift null and the held-out scores do
// not.
//
// Runs without arguments; writes cca_between_arrays.json and canonical_spectrum.npy into the
// working directory.
#include <jepasnn/cca/cca.hpp>
#include <jepasnn/core/core.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>

using namespace jepasnn;

namespace {

constexpr std::uint64_t seed = 2026;

/// A slow latent trajectory (n × 4): two damped rotations driven by noise, like a teacher's
/// latents binned at 10 ms.
RowMatrix<double> slow_latents(Index n, std::uint64_t stream) {
    RandomStream rng(seed, stream);
    RowMatrix<double> z = RowMatrix<double>::Zero(n, 4);
    const double c = std::cos(2.0 * std::numbers::pi / 80.0),
                 s = std::sin(2.0 * std::numbers::pi / 80.0);
    for (Index t = 1; t < n; ++t)
        for (Index pair = 0; pair < 2; ++pair) {
            const Index a = 2 * pair, b = a + 1;
            z(t, a) = 0.98 * (c * z(t - 1, a) - s * z(t - 1, b)) + 0.2 * rng.normal();
            z(t, b) = 0.98 * (s * z(t - 1, a) + c * z(t - 1, b)) + 0.2 * rng.normal();
        }
    return z;
}

/// z·M + noise with a random mixing M (4 × width).
RowMatrix<double> readout(const RowMatrix<double>& z, Index width, double noise,
                          std::uint64_t stream) {
    RandomStream rng(seed, stream);
    RowMatrix<double> mix(z.cols(), width);
    for (Index i = 0; i < mix.size(); ++i)
        mix.data()[i] = rng.normal();
    RowMatrix<double> out = z * mix;
    for (Index i = 0; i < out.size(); ++i)
        out.data()[i] += noise * rng.normal();
    return out;
}

Json evaluate(const char* label, const RowMatrix<double>& teacher,
              const RowMatrix<double>& student) {
    const cca::SimilarityReport report = cca::compare_representations(student, teacher);

    cca::NullOptions null_options;
    null_options.samples = 500;
    null_options.seed = seed;
    null_options.kind = cca::NullKind::permutation;  // wrong for time series, shown for contrast
    const cca::NullDistribution permuted = cca::cca_null(student, teacher, null_options);
    null_options.kind = cca::NullKind::circular_shift;  // keeps each view's autocorrelation
    const cca::NullDistribution null = cca::cca_null(student, teacher, null_options);

    cca::CrossValidationOptions cv_options;
    cv_options.folds = 5;
    cv_options.gap = 50;  // half a second of bins between training and held-out blocks
    const cca::CrossValidatedCcaResult cv = cca::cross_validated_cca(student, teacher, cv_options);

    const Index train = teacher.rows() * 4 / 5, test = teacher.rows() - train;
    const cca::HeldoutReport heldout = cca::heldout_cca_with_null(
        student.topRows(train), teacher.topRows(train), student.bottomRows(test),
        teacher.bottomRows(test), {cca::NullKind::circular_shift, 500, seed});

    std::printf("%s\n", label);
    std::printf("  canonical correlations:");
    for (Index i = 0; i < report.cca.components(); ++i)
        std::printf(" %.3f", report.cca.correlations(i));
    std::printf(
        "\n  in-sample mean CCA %.3f: circular-shift null 95th percentile %.3f, p = %.4f"
        " (a permutation null would say %.3f, p = %.4f)\n",
        report.cca.mean_cca, null.quantile(0.95), null.p_value, permuted.quantile(0.95),
        permuted.p_value);
    std::printf("  linear CKA %.3f, debiased CKA %.3f, Procrustes angle %.3f rad\n",
                report.linear_cka, report.debiased_cka, report.procrustes.distance);
    std::printf("  cross-validated mean CCA %.3f; held-out %.3f vs null 95th percentile %.3f\n\n",
                cv.mean_cca, heldout.cca_heldout, heldout.null_p95);

    Json j = cca::to_json(report);
    j["null"] = cca::to_json(null);
    j["permutation_null"] = cca::to_json(permuted);
    j["cross_validated"] = cca::to_json(cv);
    j["heldout"] = cca::to_json(heldout);
    return j;
}

}  // namespace

int main() {
    try {
        const Index n = 6000, width = 12;  // one minute of 10 ms bins, a 12-unit readout
        const RowMatrix<double> teacher = slow_latents(n, 1);
        const RowMatrix<double> faithful = readout(teacher, width, 1.0, 2);
        const RowMatrix<double> unrelated = readout(slow_latents(n, 3), width, 1.0, 4);

        Json doc;
        doc["run"] = run_record(seed, "example");
        doc["faithful_student"] =
            evaluate("student that carries the teacher's latents", teacher, faithful);
        doc["unrelated_student"] =
            evaluate("student with unrelated slow dynamics", teacher, unrelated);
        write_json("cca_between_arrays.json", doc);
        const cca::CcaResult spectrum = cca::canonical_correlations(faithful, teacher);
        save_npy("canonical_spectrum.npy", spectrum.correlations);
        std::printf("wrote cca_between_arrays.json and canonical_spectrum.npy\n");
    } catch (const Error& e) {
        std::fprintf(stderr, "cca_between_arrays: %s\n", e.what());
        return 1;
    }
    return 0;
}
