// Settings of a distillation run (student network, training, constraints, split, evaluation),
// with a strict JSON round trip: the CLI config, the checkpoint header and the paper profile all
// use the same keys, and an unknown key is an error (a typo never silently keeps a default).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "../constraints/homeostasis.hpp"
#include "../constraints/weight_regularization.hpp"
#include "../core/error.hpp"
#include "../core/json.hpp"
#include "../core/policy_settings.hpp"
#include "../core/settings.hpp"
#include "../lif/network.hpp"

namespace jepasnn::distill {

struct DistillConfig {
    // ---- student network (lif::NetworkConfig; inputs and readout size come from the data) ----
    Index neurons = 256;              // N, split 80 : 20 into E and I
    Index readout_dim = 0;            // D; 0: the teacher's latent dimension
    double tau_readout_ms = 100.0;    // readout filter: the latents vary over 0.3–4 s
    double spectral_radius = 0.2;     // of the initial W_rec (lif::RecurrentInit)
    double ei_balance = 1.0;          // Σ|W_I| / Σ W_E per row at initialisation
    double input_weight_total = 4.0;  // Σ_j W_in[i, j] at initialisation
    Index refractory_steps = 2;       // 1 ms steps
    bool recurrent = true;            // false: the feed-forward ablation
    /// Inputs are rescaled per unit so that each averages this rate over the training bins
    /// (a fixed gain per input, i.e. a preconditioner of W_in: the recorded rates span two
    /// orders of magnitude).
    double input_rate_hz = 10.0;
    /// > 0: the targets are the teacher latents projected on their top principal components
    /// (fitted on the training bins), as SVCCA does before comparing (Raghu et al., NIPS 2017); a
    /// wide teacher latent (e.g. 32 dims) carries many low-variance directions that no student
    /// readout should be asked to match. 0: every latent dimension.
    Index target_components = 0;

    // ---- training ------------------------------------------------------------------------------
    std::uint64_t steps = 300;
    Index batch = 16;  // windows per step
    /// Shards of each step's batch (ShardPlan): the Deep CCA sums, spike counts and parameter
    /// gradient are added over them in one fixed tree, so that up to `shards` processes can share
    /// a step (dist::MpiShards) with bitwise the same result as one. The result depends on it (1:
    /// the batch as one piece).
    Index shards = 1;
    Index window_bins = 60;   // 10 ms bins per window
    Index burn_in_bins = 10;  // first bins of every window, excluded from the loss (zero state)
    double learning_rate = 2e-3;
    double final_learning_rate = 2e-4;
    std::uint64_t warmup_steps = 20;
    double clip_norm = 1.0;  // global gradient norm; 0: no clipping
    /// > 0: truncated BPTT, no gradient crosses a boundary every this many bins (lif::BpttOptions;
    /// wide surrogates such as atan make the full-window gradient explode); 0: the whole window.
    Index bptt_truncate_bins = 0;
    double cca_ridge = 1e-3;  // Deep CCA ridge ε (cca::DeepCcaOptions)
    double cca_weight = 1.0;  // the loss is cca_weight·(−Σρ) + homeostasis + regularisation

    // ---- constraints -------------------------------------------------------------------------
    /// Settings of each rate penalty and weight regulariser, by policy name; the student reads
    /// those of its Policies::Rate and Policies::Regularizer. The band (5–20 Hz for E and I, λ_n =
    /// λ_p = 0.05 Hz⁻²) is also what the evaluation counts neurons in; L2 acts on W_in and W_rec.
    PolicySettings<constraints::RatePenalties> rate_penalties{
        constraints::HomeostaticBand{{5.0, 20.0}, {5.0, 20.0}, 0.05, 0.05}};
    PolicySettings<constraints::WeightRegularizers> weight_regularizers{
        constraints::L2Regularizer{1e-4}};

    // ---- split, monitoring, evaluation
    // ------------------------------------------------------------
    Index block_bins = 1000;        // time blocks of the train/held-out split (10 s)
    double heldout_fraction = 0.2;  // of the blocks
    std::uint64_t eval_every = 25;  // monitored held-out CCA every this many steps (0: never)
    Index monitor_windows = 16;     // windows of each split in the monitor batch
    Index eval_segments = 8;        // the session is run as this many parallel segments
    Index eval_chunk_bins = 500;    // streamed in pieces of this many bins (bounded memory)
    double eval_cca_ridge = 1e-6;   // classical CCA of the success metric (scale-relative)
    Index null_samples = 200;       // circular-shift null draws
    Index fano_window_bins = 10;    // Fano factor counting window (100 ms)

    // ---- bookkeeping -------------------------------------------------------------------------
    std::uint64_t seed = 0;
    std::uint64_t checkpoint_every = 100;  // 0: only at the end
    bool prefetch = true;  // read the next step's windows on a second thread during this step

    static constexpr std::string_view setting_noun = "distillation setting";
    static void fields(auto& s, auto&& field) {
        field("neurons", s.neurons);
        field("readout_dim", s.readout_dim);
        field("tau_readout_ms", s.tau_readout_ms);
        field("spectral_radius", s.spectral_radius);
        field("ei_balance", s.ei_balance);
        field("input_weight_total", s.input_weight_total);
        field("refractory_steps", s.refractory_steps);
        field("recurrent", s.recurrent);
        field("input_rate_hz", s.input_rate_hz);
        field("target_components", s.target_components);
        field("steps", s.steps);
        field("batch", s.batch);
        field("shards", s.shards);
        field("window_bins", s.window_bins);
        field("burn_in_bins", s.burn_in_bins);
        field("learning_rate", s.learning_rate);
        field("final_learning_rate", s.final_learning_rate);
        field("warmup_steps", s.warmup_steps);
        field("clip_norm", s.clip_norm);
        field("bptt_truncate_bins", s.bptt_truncate_bins);
        field("cca_ridge", s.cca_ridge);
        field("cca_weight", s.cca_weight);
        field("rate_penalties", s.rate_penalties);
        field("weight_regularizers", s.weight_regularizers);
        field("block_bins", s.block_bins);
        field("heldout_fraction", s.heldout_fraction);
        field("eval_every", s.eval_every);
        field("monitor_windows", s.monitor_windows);
        field("eval_segments", s.eval_segments);
        field("eval_chunk_bins", s.eval_chunk_bins);
        field("eval_cca_ridge", s.eval_cca_ridge);
        field("null_samples", s.null_samples);
        field("fano_window_bins", s.fano_window_bins);
        field("seed", s.seed);
        field("checkpoint_every", s.checkpoint_every);
        field("prefetch", s.prefetch);
    }

    void validate(std::string_view where) const {
        require(neurons >= 2, where, "neurons is ", neurons, ", expected >= 2");
        require(target_components >= 0, where, "target_components is ", target_components,
                ", expected >= 0");
        require(readout_dim >= 0, where, "readout_dim is ", readout_dim, ", expected >= 0");
        require(steps >= 1, where, "steps is 0, expected >= 1");
        require(batch >= 1, where, "batch is ", batch, ", expected >= 1");
        require(shards >= 1 && shards <= batch, where, "shards is ", shards,
                ", expected 1 .. batch (", batch, ")");
        require(burn_in_bins >= 0 && window_bins > burn_in_bins, where, "window_bins (",
                window_bins, ") must exceed burn_in_bins (", burn_in_bins, ") >= 0");
        require(learning_rate > 0.0 && std::isfinite(learning_rate), where, "learning_rate is ",
                learning_rate, ", expected > 0");
        require(final_learning_rate >= 0.0 && final_learning_rate <= learning_rate, where,
                "final_learning_rate is ", final_learning_rate, ", expected [0, learning_rate]");
        require(warmup_steps <= steps, where, "warmup_steps (", warmup_steps, ") exceeds steps (",
                steps, ")");
        require(bptt_truncate_bins >= 0, where, "bptt_truncate_bins is ", bptt_truncate_bins,
                ", expected >= 0");
        require(clip_norm >= 0.0 && cca_ridge >= 0.0 && cca_weight > 0.0, where,
                "clip_norm and cca_ridge must be >= 0, cca_weight > 0");
        rate_penalties.validate(std::string(where).append(": rate_penalties"));
        weight_regularizers.validate(std::string(where).append(": weight_regularizers"));
        require(input_rate_hz > 0.0 && std::isfinite(input_rate_hz), where, "input_rate_hz is ",
                input_rate_hz, ", expected > 0");
        require(tau_readout_ms > 0.0 && spectral_radius > 0.0 && ei_balance >= 0.0 &&
                    input_weight_total >= 0.0 && refractory_steps >= 0,
                where, "tau_readout_ms and spectral_radius must be > 0, ei_balance, ",
                "input_weight_total and refractory_steps >= 0");
        require(block_bins >= 1, where, "block_bins is ", block_bins, ", expected >= 1");
        require(heldout_fraction > 0.0 && heldout_fraction < 1.0, where, "heldout_fraction is ",
                heldout_fraction, ", expected (0, 1)");
        require(monitor_windows >= 1 && eval_segments >= 1 && eval_chunk_bins >= 1, where,
                "monitor_windows, eval_segments and eval_chunk_bins must be >= 1");
        require(eval_cca_ridge >= 0.0, where, "eval_cca_ridge must be >= 0");
        require(null_samples >= 2, where, "null_samples is ", null_samples, ", expected >= 2");
        require(fano_window_bins >= 1, where, "fano_window_bins is ", fano_window_bins,
                ", expected >= 1");
    }

    /// The firing-rate band of the E and I populations (evaluated for every student, also those
    /// trained without the band penalty).
    const constraints::HomeostaticBand& band() const {
        return rate_penalties.get<constraints::HomeostaticBand>();
    }

    /// The student for F inputs and D readout dimensions.
    lif::NetworkConfig network(Index inputs, Index readout) const {
        lif::NetworkConfig c = lif::NetworkConfig::with_neurons(neurons, inputs, readout);
        c.tau_readout_ms = tau_readout_ms;
        c.recurrent = recurrent;
        c.refractory_steps = refractory_steps;
        c.input_weight_total = input_weight_total;
        c.recurrent_init.spectral_radius = spectral_radius;
        c.recurrent_init.ei_balance = ei_balance;
        return c;
    }
};

}  // namespace jepasnn::distill
