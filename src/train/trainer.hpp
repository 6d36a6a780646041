// One training run: a preset on the tokenized corpus, AdamW with warm-up and
// cosine decay, gradient clipping, held-out evaluation every eval_every
// steps, checkpoints every checkpoint_every steps (and at the end), and the
// model exported as GGUF. Deterministic for (seed, thread count); a run
// resumed from a checkpoint continues bit-exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/presets.hpp"

namespace ql::train {

struct TrainOptions {
    Preset preset;
    std::string corpus_dir = "corpus";
    std::string out;         // the GGUF to write
    std::string checkpoint;  // "" -> out + ".ckpt"
    std::string resume;      // checkpoint to continue from ("" -> start fresh)
    int64_t steps = 0;       // 0 -> the preset's
    int64_t stop_after = 0;  // > 0: run at most this many steps now, checkpoint, stop
    uint64_t seed = 1;
    int threads = 1;
    int64_t eval_windows = 64;  // held-out windows per domain
    bool f32 = false;           // export matrices as F32 instead of F16
};

struct DomainLoss {
    std::string domain;
    double loss = 0;
};

struct TrainResult {
    double initial_val_loss = 0;  // before the first step
    double val_loss = 0;          // at the end, mean over domains
    double train_loss = 0;        // mean over the last eval interval
    std::vector<DomainLoss> val_by_domain;
    int64_t steps = 0;      // steps done (all sessions)
    bool finished = false;  // all steps done and the model exported
    int64_t tokens = 0;     // training tokens seen (all sessions)
    double seconds = 0;     // training time (all sessions)
    int64_t params = 0;
    int64_t active_params = 0;
    double model_flops = 0;  // estimated FLOPs of the training steps run in this session
    double session_seconds = 0;
};

// Progress of a step: step done, total, last loss, tokens/s.
using TrainProgress =
    std::function<void(int64_t step, int64_t total, double loss, double tok_per_s)>;

TrainResult run_training(const TrainOptions& options, const TrainProgress& progress = {});

// Estimated FLOPs of one training token (forward + backward): 6 x active
// parameters (embedding lookups excluded, the tied output included) plus
// attention over the sequence.
double flops_per_token(const Preset& p);

}  // namespace ql::train
