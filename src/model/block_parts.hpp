// The parts of a transformer block (internal to the model layer).
#pragma once

#include <cstdint>

#include "model/forward.hpp"

namespace ql::model {

// Everything a block's parts need about the running batch.
struct BatchContext {
    const HParams& hp;
    const ForwardOptions& options;
    int64_t n_tokens = 0;
    int64_t first_pos = 0;              // position of the batch's first token
    VectorView rope_freqs;              // optional [n_rot/2]
    const float* rope_table = nullptr;  // [n_tokens, n_rot / 2, 2] rope_cos_sin of each token
};

// y [n_tokens, n_out] = x [n_tokens, n_in] · Wᵀ.
void project(const BatchContext& ctx, const kernels::MatmulWeights& w, const float* x, float* y,
             int64_t n_tokens);

// Self-attention of the normed input x [n_tokens, n_embd]: stores the batch's
// keys and values in the cache and writes out [n_tokens, n_embd].
void attention(const BatchContext& ctx, const BlockWeights& w, KvCache& cache, int64_t layer,
               const float* x, float* out);

// Dense SwiGLU feed-forward: out [n_tokens, n_embd] from x [n_tokens, n_embd].
void feed_forward(const BatchContext& ctx, const FeedForward& w, const float* x, float* out,
                  int64_t n_tokens);

// Routed experts (plus the shared expert): out [n_tokens, n_embd].
void expert_feed_forward(const BatchContext& ctx, const ExpertFeedForward& w, const float* x,
                         float* out);

}  // namespace ql::model
