// The model zoo's presets: shapes and training schedules of the small models
// quantlab trains on its own corpus (docs/ZOO.md). Every width (n_embd, n_ff,
// expert FFN, n_head x head_dim) is a multiple of 256 so that the K, IQ and
// TQ types apply to every matrix. Dense presets use the llama layout with the
// output tied to the token embedding; the MoE preset the qwen3moe layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ql::train {

struct Preset {
    std::string name;
    std::string arch;  // "llama" (dense) or "qwen3moe"
    std::string summary;
    // shape
    int64_t n_vocab = 2048;  // must equal the corpus tokenizer's
    int64_t n_embd = 256;
    int64_t n_layer = 1;
    int64_t n_head = 4;
    int64_t n_head_kv = 2;
    int64_t head_dim = 64;
    int64_t n_ff = 512;  // dense FFN width (unused by MoE blocks)
    int64_t n_expert = 0;
    int64_t n_expert_used = 0;
    int64_t n_ff_exp = 0;
    float rope_base = 10000.0f;
    float rms_eps = 1e-5f;
    // schedule
    int64_t seq_len = 256;  // tokens per sequence
    int64_t batch = 16;     // sequences per step
    int64_t steps = 1000;   // default number of optimizer steps
    int64_t warmup = 100;   // linear warm-up steps
    float lr = 3e-3f;       // peak learning rate (cosine decay to lr * min_lr_ratio)
    float min_lr_ratio = 0.1f;
    float weight_decay = 0.1f;  // AdamW, on matrices only
    float grad_clip = 1.0f;     // global L2 norm
    int64_t eval_every = 100;   // steps between held-out evaluations
    int64_t checkpoint_every = 200;

    bool moe() const { return n_expert > 0; }
    // Parameters, embeddings included (the output is tied to them).
    int64_t n_params() const;
    // Parameters a token uses (MoE: n_expert_used of the experts).
    int64_t n_active_params() const;
    int64_t tokens_per_step() const { return seq_len * batch; }
};

const std::vector<Preset>& presets();
// nullptr for an unknown name.
const Preset* find_preset(std::string_view name);

}  // namespace ql::train
