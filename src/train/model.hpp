// Forward and backward pass of a model in training (f32, OpenBLAS products):
// the llama layout (dense presets) or the qwen3moe layout (per-head q/k
// norms, NEOX RoPE, routed experts). The output projection is tied to the
// token embedding. Hyper-parameters and the RoPE/RMS-norm arithmetic are the
// engine's (model/), so the exported GGUF runs the same function.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/hparams.hpp"
#include "train/params.hpp"
#include "train/presets.hpp"

namespace ql::train {

// n_seq sequences of seq_len tokens; targets are the next tokens.
struct Batch {
    std::vector<int32_t> tokens;   // [n_seq * seq_len]
    std::vector<int32_t> targets;  // [n_seq * seq_len]
    int64_t n_seq = 0, seq_len = 0;
    int64_t rows() const { return n_seq * seq_len; }
};

struct StepLoss {
    double loss = 0;     // mean next-token cross-entropy (nats)
    double balance = 0;  // MoE load-balancing loss (included in what is minimized)
};

// The engine's hyper-parameters for a preset (what the exported GGUF says).
model::HParams hparams_for(const Preset& p);

class TrainModel {
  public:
    TrainModel(const Preset& preset, int n_threads);
    ~TrainModel();
    TrainModel(const TrainModel&) = delete;
    TrainModel& operator=(const TrainModel&) = delete;

    const ParamLayout& layout() const { return layout_; }
    const Preset& preset() const { return preset_; }

    // Loss of the batch; with grads (size layout().total, overwritten) also
    // the gradient of loss + balance.
    StepLoss forward_backward(const float* params, const Batch& batch, float* grads);
    // Logits [rows, n_vocab] of the batch (tests compare them with the engine).
    std::vector<float> logits(const float* params, const Batch& batch);

  private:
    struct Caches;
    void forward(const float* params, const Batch& batch);
    void backward(const float* params, const Batch& batch, float* grads);
    void forward_block(int64_t layer, const float* P);
    void backward_block(int64_t layer, const float* P, float* G);

    Preset preset_;
    model::HParams hp_;
    ParamLayout layout_;
    int n_threads_;
    std::unique_ptr<Caches> c_;
};

}  // namespace ql::train
