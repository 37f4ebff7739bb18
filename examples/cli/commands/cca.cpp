// jepasnn cca X.npy Y.npy [--json] [--ridge R] [--null K] [--null-kind KIND] [--min-shift S]
// [--seed S] [--folds F]: representational similarity of two float64 arrays with rows = samples.
// Prints a table, or with --json the document of the CLI contract (canonical_correlations,
// mean_cca, r2_cca, linear_cka, rank_x, rank_y, plus the other measures, the null and the
// cross-validated CCA when asked). Also registers `jepasnn parity cca REF.json --out OUT.json`.
#include <jepasnn/cca/cca.hpp>
#include <jepasnn/core/npy.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "command.hpp"
#include "parity_registry.hpp"

namespace {

using jepasnn::Index;
using jepasnn::Json;
using jepasnn::RowMatrix;

struct CcaCommandOptions {
    std::string x_path, y_path;
    bool json = false;
    double ridge = 0.0;
    Index null_samples = 0;
    std::string null_kind = "permutation";
    Index min_shift = 0;
    std::uint64_t seed = 0;
    Index folds = 0;
};

/// Loads both views and checks them against each other, naming the files in every error.
std::pair<RowMatrix<double>, RowMatrix<double>> load_views(const std::string& x_path,
                                                           const std::string& y_path) {
    RowMatrix<double> x = jepasnn::load_npy_matrix<double>(x_path);
    RowMatrix<double> y = jepasnn::load_npy_matrix<double>(y_path);
    jepasnn::require(x.rows() == y.rows(), x_path, "has ", x.rows(), " rows but ", y_path, " has ",
                     y.rows(), ": expected one sample per row in both");
    jepasnn::require_finite(x_path, "data", x);
    jepasnn::require_finite(y_path, "data", y);
    for (const auto& [path, m] : {std::pair{&x_path, &x}, {&y_path, &y}})
        jepasnn::require(m->cols() >= 1 && m->rows() >= m->cols() + 1, *path, "has ", m->rows(),
                         " rows for ", m->cols(),
                         " columns, expected at least columns + 1 = ", m->cols() + 1,
                         " rows (samples)");
    return {std::move(x), std::move(y)};
}

std::string fixed(double v, int digits = 6) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

void print_table(const CcaCommandOptions& o, const Json& doc) {
    std::cout << "jepasnn cca: " << o.x_path << " (p = " << doc["p"].get<Index>() << ", rank "
              << doc["rank_x"].get<Index>() << ") vs " << o.y_path
              << " (q = " << doc["q"].get<Index>() << ", rank " << doc["rank_y"].get<Index>()
              << "), n = " << doc["n"].get<Index>() << " samples";
    if (o.ridge > 0.0) std::cout << ", ridge " << o.ridge;
    std::cout << "\n  canonical correlations:";
    for (const auto& r : doc["canonical_correlations"])
        std::cout << ' ' << fixed(r.get<double>(), 4);
    std::cout << "\n  mean CCA       " << fixed(doc["mean_cca"].get<double>()) << "    R2 CCA "
              << fixed(doc["r2_cca"].get<double>())
              << "    chance sum rho^2 = pq/(n-1) = " << fixed(doc["chance_sum_r2"].get<double>())
              << "\n  linear CKA     " << fixed(doc["linear_cka"].get<double>())
              << "    debiased CKA " << fixed(doc["debiased_cka"].get<double>())
              << "\n  SVCCA          " << fixed(doc["svcca"].get<double>()) << "    PWCCA "
              << fixed(doc["pwcca"].get<double>()) << "\n  Procrustes     angle "
              << fixed(doc["angular_procrustes_distance"].get<double>()) << " rad    similarity "
              << fixed(doc["procrustes_similarity"].get<double>()) << "\n";
    if (doc.contains("null")) {
        const Json& n = doc["null"];
        std::cout << "  null of mean CCA (" << n["kind"].get<std::string>() << ", "
                  << n["samples"].get<Index>() << " draws, seed " << n["seed"].get<std::uint64_t>()
                  << "): mean " << fixed(n["mean"].get<double>()) << ", 95th percentile "
                  << fixed(n["quantile_95"].get<double>())
                  << ", p = " << fixed(n["p_value"].get<double>(), 4)
                  << ", z = " << fixed(n["z_score"].get<double>(), 2) << "\n";
    }
    if (doc.contains("cross_validated")) {
        const Json& cv = doc["cross_validated"];
        std::cout << "  cross-validated mean CCA (" << cv["folds"].get<Index>()
                  << " contiguous folds): " << fixed(cv["mean_cca"].get<double>()) << "\n";
    }
}

void run_cca(const CcaCommandOptions& o) {
    namespace cca = jepasnn::cca;
    const auto [x, y] = load_views(o.x_path, o.y_path);
    cca::NullOptions null_options;
    null_options.samples = o.null_samples;
    null_options.seed = o.seed;
    null_options.min_shift = o.min_shift;
    null_options.kind =
        o.null_kind == "permutation" ? cca::NullKind::permutation : cca::NullKind::circular_shift;
    const Json doc = cca::similarity_document(x, y, o.ridge, null_options, o.folds);
    if (o.json)
        std::cout << doc.dump(1) << std::endl;
    else
        print_table(o, doc);
}

void setup_cca(CLI::App& app) {
    auto o = std::make_shared<CcaCommandOptions>();
    app.add_option("X.npy", o->x_path, "float64 array, rows = samples")->required();
    app.add_option("Y.npy", o->y_path, "float64 array, same number of rows")->required();
    app.add_flag("--json", o->json, "print the JSON document instead of a table");
    app.add_option("--ridge", o->ridge, "scale-relative ridge eps >= 0 (Sigma + eps tr(Sigma)/p I)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--null", o->null_samples, "null draws K of mean CCA at the same n (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--null-kind", o->null_kind, "permutation or circular-shift (time series)")
        ->check(CLI::IsMember({"permutation", "circular-shift"}));
    app.add_option("--min-shift", o->min_shift, "smallest circular shift (0: n/20)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--seed", o->seed, "seed of the null draws");
    app.add_option("--folds", o->folds, "also report K-fold cross-validated CCA (0: none)")
        ->check(CLI::NonNegativeNumber);
    app.callback([o] { run_cca(*o); });
}

const jepasnn::cli::CommandRegistration cca_registration{
    "cca",
    "Canonical correlations, CKA, SVCCA, PWCCA and Procrustes between two float64 .npy arrays",
    setup_cca};

/// parity cca: every case of the shared/reference schema, with <name>_X.npy and <name>_Y.npy
/// beside the reference document.
Json parity_cca(const Json& reference, const std::string& source) {
    namespace cca = jepasnn::cca;
    const std::filesystem::path dir = std::filesystem::path(source).parent_path();
    Json out = reference;
    for (Json& c : out.at("cases")) {
        const std::string name = jepasnn::json_get<std::string>(c, "name", source);
        const auto [x, y] =
            load_views((dir / (name + "_X.npy")).string(), (dir / (name + "_Y.npy")).string());
        const cca::SimilarityReport r = cca::compare_representations(x, y);
        c["rank_x"] = r.cca.rank_x;
        c["rank_y"] = r.cca.rank_y;
        c["canonical_correlations"] = jepasnn::to_json(r.cca.correlations);
        c["mean_cca"] = r.cca.mean_cca;
        c["r2_cca"] = r.cca.r2_cca;
        c["linear_cka"] = r.linear_cka;
    }
    return out;
}

const jepasnn::cli::ParityKindRegistration cca_parity_registration{
    "cca",
    {"canonical correlations, mean_cca, r2_cca, linear_cka and ranks of each case", parity_cca}};

}  // namespace
