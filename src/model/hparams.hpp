// Hyper-parameters of a model, read from GGUF metadata. Everything that makes
// one architecture differ from another is a field here (data), so that one
// forward pass serves llama, qwen2, qwen3, qwen3moe and glm4moe.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf.hpp"

namespace ql::model {

// How rotary embeddings pair the dimensions of a head.
enum class RopeStyle {
    Adjacent,  // llama: (0,1), (2,3), ...
    Neox,      // qwen, glm: (i, i + n_rot/2)
};

// How the router turns its logits into expert probabilities.
enum class RouterGate { Softmax, Sigmoid };

struct HParams {
    std::string arch;
    int64_t n_vocab = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;       // blocks the forward pass runs
    int64_t n_layer_file = 0;  // blocks stored in the file (glm4moe: + nextn blocks)
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;  // key_length (== value_length, checked)
    int64_t n_ff = 0;      // dense feed-forward width
    int64_t n_ctx_train = 0;
    float rms_eps = 1e-5f;

    // Rotary position embedding over the first n_rot dimensions of each head.
    RopeStyle rope_style = RopeStyle::Adjacent;
    int64_t n_rot = 0;
    float rope_base = 10000.0f;
    float rope_freq_scale = 1.0f;  // linear scaling: positions multiplied by this
    // YaRN (llama.cpp's ext_factor, 0 = off): pair i's angle mixes the scaled
    // and the unscaled one by ramp(i) * rope_ext_factor, where ramp falls from 1
    // at pair rope_yarn_low to 0 at pair rope_yarn_high.
    float rope_ext_factor = 0.0f;
    float rope_yarn_low = 0.0f;
    float rope_yarn_high = 0.0f;
    float rope_mscale = 1.0f;  // cos and sin are multiplied by this

    // Mixture of experts (n_expert == 0: dense model).
    int64_t n_expert = 0;
    int64_t n_expert_used = 0;
    int64_t n_ff_exp = 0;
    int64_t n_expert_shared = 0;
    int64_t n_dense_lead = 0;  // first blocks with a dense feed-forward
    RouterGate router_gate = RouterGate::Softmax;
    bool normalize_expert_weights = false;  // divide the k weights by their sum
    float expert_weights_scale = 1.0f;

    bool is_moe_block(int64_t layer) const { return n_expert > 0 && layer >= n_dense_lead; }
    int64_t q_width() const { return n_head * head_dim; }
    int64_t kv_width() const { return n_head_kv * head_dim; }
};

// The architectures the forward pass runs.
bool is_supported_architecture(const std::string& arch);

// Reads and checks the hyper-parameters; throws ql::InputError naming the
// file and the key for an unknown architecture, a missing or bad value.
HParams load_hparams(const gguf::GgufFile& file);

}  // namespace ql::model
