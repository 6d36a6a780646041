// Forward and backward of the row-wise pieces of a transformer block, for
// training (f32, rows in parallel). Each backward takes what its forward
// saw and the gradient of its output, and returns (or adds to) the gradients
// of its inputs and weights. Shapes in the comments: rows = tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "model/hparams.hpp"

namespace ql::train {

// y [rows, n] = x / rms(x) * w [n]
void rms_norm_forward(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps,
                      int n_threads);
// dx [rows, n] (=, or += when accumulate); dw [n] += (summed over rows in a
// fixed order: the same bits for any thread count).
void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                       int64_t rows, int64_t n, float eps, bool accumulate, int n_threads);

// The RoPE angles of positions 0..n_pos-1: [n_pos, n_rot / 2, 2] (cos, sin).
std::vector<float> rope_table(const model::HParams& hp, int64_t n_pos);
// Rotates each head of x [rows, n_heads * head_dim] in place; row r has
// position r % seq_len. inverse: the transpose (the backward pass).
void rope_rows(float* x, int64_t rows, int64_t n_heads, int64_t seq_len, const float* table,
               const model::HParams& hp, bool inverse, int n_threads);

// h [rows, n] = silu(g) * u
void swiglu_forward(const float* g, const float* u, float* h, int64_t count, int n_threads);
// dg, du [count] from dh.
void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du,
                     int64_t count, int n_threads);

// Causal multi-head attention with grouped KV heads over `n_seq` sequences of
// `seq_len` tokens: q [rows, n_head * hd], k and v [rows, n_head_kv * hd],
// out [rows, n_head * hd], probs [n_seq, n_head, seq_len, seq_len] kept for
// the backward pass (entries above the diagonal are 0).
struct AttentionShape {
    int64_t n_seq = 0, seq_len = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
    int64_t rows() const { return n_seq * seq_len; }
};
void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v,
                       float* probs, float* out, int n_threads);
// dq, dk, dv (same shapes as q, k, v; overwritten) from dout.
void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const float* probs, const float* dout, float* dq, float* dk, float* dv,
                        int n_threads);

// Mean cross-entropy of logits [rows, n_vocab] against targets [rows];
// replaces the logits by d(loss)/d(logits) when `grad` (scaled by 1/rows).
// Sums in double, in a fixed order.
double cross_entropy(float* logits, const int32_t* targets, int64_t rows, int64_t n_vocab,
                     bool grad, int n_threads);

}  // namespace ql::train
