// The weights of a model: GGUF tensors bound by name, shape-checked, left in
// the mmapped file (never copied). Optional tensors (biases, q/k norms, the
// output matrix of tied models) are null views when absent.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/gguf.hpp"
#include "kernels/matmul.hpp"
#include "model/hparams.hpp"

namespace ql::model {

// A tensor in the file: null data when an optional tensor is absent.
struct TensorView {
    quant::TypeId type = quant::TypeId::F32;
    const uint8_t* data = nullptr;
    int64_t n_elements = 0;
    explicit operator bool() const { return data != nullptr; }
};

// A 1-D F32 vector (norm weights, biases, router bias).
struct VectorView {
    const float* data = nullptr;
    int64_t size = 0;
    explicit operator bool() const { return data != nullptr; }
};

struct FeedForward {
    kernels::MatmulWeights gate, up, down;  // [n_ff, n_embd], [n_ff, n_embd], [n_embd, n_ff]
};

struct ExpertFeedForward {
    kernels::MatmulWeights router;        // [n_expert, n_embd]
    VectorView selection_bias;            // [n_expert], glm4moe: for choosing only
    kernels::ExpertStack gate, up, down;  // [n_expert, n_ff_exp, n_embd] ...
    bool has_shared = false;
    FeedForward shared;  // the shared expert(s), one wide FFN
};

struct BlockWeights {
    VectorView attn_norm;  // [n_embd]
    kernels::MatmulWeights wq, wk, wv,
        wo;                     // [q_width, n_embd], [kv_width, n_embd] x2, [n_embd, q_width]
    VectorView bq, bk, bv;      // optional biases
    VectorView q_norm, k_norm;  // optional per-head norms [head_dim]
    VectorView ffn_norm;        // [n_embd] (glm4moe: post_attention_norm)
    bool moe = false;
    FeedForward dense;
    ExpertFeedForward experts;
};

struct ModelWeights {
    TensorView token_embd;  // [n_vocab, n_embd] rows
    uint64_t token_embd_row_bytes = 0;
    VectorView rope_freqs;          // optional [n_rot/2] rotary angle divisors
    VectorView output_norm;         // [n_embd]
    kernels::MatmulWeights output;  // [n_vocab, n_embd] (token_embd when tied)
    std::vector<BlockWeights> blocks;
};

// Binds every tensor the forward pass needs; throws ql::InputError naming the
// file and tensor when one is missing, mis-shaped or of an unsupported type.
ModelWeights bind_weights(const gguf::GgufFile& file, const HParams& hp);

}  // namespace ql::model
