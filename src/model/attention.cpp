// Multi-head self-attention with grouped key/value heads, rotary positions,
// optional q/k/v biases and per-head q/k norms, over a KV cache.
#include <cmath>
#include <vector>

#include "kernels/vec_f32.hpp"
#include "model/block_parts.hpp"
#include "model/ops.hpp"
#include "util/threads.hpp"

namespace ql::model {

namespace {

// Bias, per-head norm and rotation of one projected row [n_heads, head_dim].
void finish_heads(const BatchContext& ctx, float* row, int64_t n_heads, const VectorView& bias,
                  const VectorView& head_norm, int64_t pos) {
    const float* freq_factors = ctx.rope_freqs ? ctx.rope_freqs.data : nullptr;
    const HParams& hp = ctx.hp;
    if (bias) add_bias(row, bias.data, n_heads * hp.head_dim);
    for (int64_t h = 0; h < n_heads; ++h) {
        float* head = row + h * hp.head_dim;  // [head_dim]
        if (head_norm) rms_norm(head, head_norm.data, head, hp.head_dim, hp.rms_eps);
        apply_rope(head, pos, hp, freq_factors);
    }
}

// One query head of one token against cached positions 0..pos:
// out [head_dim] = softmax(q·K / sqrt(head_dim)) · V.
void attend_one_head(const HParams& hp, const KvCache& cache, int64_t layer, const float* q,
                     int64_t kv_head, int64_t pos, float* scores, float* out) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
    const int64_t offset = kv_head * hp.head_dim;
    for (int64_t j = 0; j <= pos; ++j) {
        const float* k = cache.key(layer, j) + offset;  // [head_dim]
        scores[j] = kernels::dot_f32(q, k, hp.head_dim) * scale;
    }
    softmax(scores, pos + 1);
    for (int64_t d = 0; d < hp.head_dim; ++d) out[d] = 0.0f;
    for (int64_t j = 0; j <= pos; ++j) {
        const float* v = cache.value(layer, j) + offset;  // [head_dim]
        kernels::axpy_f32(out, scores[j], v, hp.head_dim);
    }
}

}  // namespace

void attention(const BatchContext& ctx, const BlockWeights& w, KvCache& cache, int64_t layer,
               const float* x, float* out) {
    const HParams& hp = ctx.hp;
    const int64_t n = ctx.n_tokens;
    std::vector<float> q(static_cast<size_t>(n * hp.q_width()));  // [n_tokens, n_head, head_dim]
    std::vector<float> k(
        static_cast<size_t>(n * hp.kv_width()));  // [n_tokens, n_head_kv, head_dim]
    std::vector<float> v(
        static_cast<size_t>(n * hp.kv_width()));  // [n_tokens, n_head_kv, head_dim]
    project(ctx, w.wq, x, q.data(), n);
    project(ctx, w.wk, x, k.data(), n);
    project(ctx, w.wv, x, v.data(), n);
    for (int64_t t = 0; t < n; ++t) {
        const int64_t pos = ctx.first_pos + t;
        finish_heads(ctx, &q[t * hp.q_width()], hp.n_head, w.bq, w.q_norm, pos);
        finish_heads(ctx, &k[t * hp.kv_width()], hp.n_head_kv, w.bk, w.k_norm, pos);
        if (w.bv) add_bias(&v[t * hp.kv_width()], w.bv.data, hp.kv_width());
        std::copy_n(&k[t * hp.kv_width()], hp.kv_width(), cache.key(layer, pos));
        std::copy_n(&v[t * hp.kv_width()], hp.kv_width(), cache.value(layer, pos));
    }

    std::vector<float> heads_out(
        static_cast<size_t>(n * hp.q_width()));      // [n_tokens, n_head, head_dim]
    const int64_t group = hp.n_head / hp.n_head_kv;  // query heads per key/value head
    const int64_t n_ctx = ctx.first_pos + n;
    parallel_for(n * hp.n_head, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        std::vector<float> scores(static_cast<size_t>(n_ctx));  // [positions]
        for (int64_t i = begin; i < end; ++i) {
            const int64_t t = i / hp.n_head;
            const int64_t h = i % hp.n_head;
            const float* qh = &q[(t * hp.n_head + h) * hp.head_dim];
            attend_one_head(hp, cache, layer, qh, h / group, ctx.first_pos + t, scores.data(),
                            &heads_out[(t * hp.n_head + h) * hp.head_dim]);
        }
    });
    project(ctx, w.wo, heads_out.data(), out, n);
}

}  // namespace ql::model
