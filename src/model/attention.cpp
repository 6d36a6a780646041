// Multi-head self-attention with grouped key/value heads, rotary positions,
// optional q/k/v biases and per-head q/k norms, over a KV cache.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attn_f32.hpp"
#include "kernels/vec_f32.hpp"
#include "model/block_parts.hpp"
#include "model/ops.hpp"
#include "util/threads.hpp"

namespace ql::model {

namespace {

// Bias, per-head norm and rotation of one projected row [n_heads, head_dim]
// of batch token t.
void finish_heads(const BatchContext& ctx, float* row, int64_t n_heads, const VectorView& bias,
                  const VectorView& head_norm, int64_t t) {
    const HParams& hp = ctx.hp;
    const float* cos_sin = ctx.rope_table + t * hp.n_rot;  // [n_rot / 2, 2]
    if (bias) add_bias(row, bias.data, n_heads * hp.head_dim);
    for (int64_t h = 0; h < n_heads; ++h) {
        float* head = row + h * hp.head_dim;  // [head_dim]
        if (head_norm) rms_norm(head, head_norm.data, head, hp.head_dim, hp.rms_eps);
        apply_rope_table(head, cos_sin, hp);
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

// Token-by-token path: every (token, query head) with dot products and axpys.
void attend_each_head(const BatchContext& ctx, const KvCache& cache, int64_t layer, const float* q,
                      float* heads_out) {
    const HParams& hp = ctx.hp;
    const int64_t n = ctx.n_tokens;
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
}

constexpr int64_t kTileRows = 12;  // query rows (tokens x heads of a group) per task

// Keys of every key/value head transposed: [n_head_kv, head_dim, ld].
std::vector<float> transposed_keys(const BatchContext& ctx, const KvCache& cache, int64_t layer,
                                   int64_t n_ctx, int64_t ld) {
    const HParams& hp = ctx.hp;
    std::vector<float> kt(static_cast<size_t>(hp.n_head_kv * hp.head_dim * ld));
    parallel_for(hp.n_head_kv, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t g = begin; g < end; ++g)
            kernels::transpose_keys(cache.key(layer, 0) + g * hp.head_dim, hp.kv_width(), n_ctx,
                                    hp.head_dim, &kt[g * hp.head_dim * ld], ld);
    });
    return kt;
}

// The query rows of one tile: tokens [t0, t1) x the query heads of key/value
// head g, token-major.
struct TileRows {
    std::vector<const float*> q;  // [rows] -> [head_dim]
    std::vector<float*> out;      // [rows] -> [head_dim]
    std::vector<int64_t> n_keys;  // [rows] causal: position + 1

    void fill(const BatchContext& ctx, const float* q_all, float* out_all, int64_t g, int64_t t0,
              int64_t t1) {
        const HParams& hp = ctx.hp;
        const int64_t group = hp.n_head / hp.n_head_kv;
        q.clear();
        out.clear();
        n_keys.clear();
        for (int64_t t = t0; t < t1; ++t) {
            for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                q.push_back(&q_all[(t * hp.n_head + h) * hp.head_dim]);
                out.push_back(&out_all[(t * hp.n_head + h) * hp.head_dim]);
                n_keys.push_back(ctx.first_pos + t + 1);
            }
        }
    }
    kernels::AttnQueries view() const {
        return {q.data(), out.data(), n_keys.data(), static_cast<int64_t>(q.size())};
    }
};

// Batched path: per key/value head, tiles of consecutive tokens x the query
// heads sharing it, through kernels::attend_f32. The tiles are fixed by the
// batch alone, and each row's arithmetic by its own inputs, so the thread
// count never changes a bit.
void attend_tiles(const BatchContext& ctx, const KvCache& cache, int64_t layer, const float* q,
                  float* heads_out) {
    const HParams& hp = ctx.hp;
    const int64_t n = ctx.n_tokens;
    const int64_t n_ctx = ctx.first_pos + n;
    const int64_t ld = kernels::attn_keys_ld(n_ctx);
    const std::vector<float> kt = transposed_keys(ctx, cache, layer, n_ctx, ld);
    const int64_t tile_tokens = std::max<int64_t>(1, kTileRows / (hp.n_head / hp.n_head_kv));
    const int64_t n_tiles = (n + tile_tokens - 1) / tile_tokens;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
    parallel_for(hp.n_head_kv * n_tiles, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        TileRows rows;
        std::vector<float> scores;  // [rows, ld]
        for (int64_t task = begin; task < end; ++task) {
            const int64_t g = task / n_tiles;  // key/value head
            const int64_t t0 = task % n_tiles * tile_tokens;
            rows.fill(ctx, q, heads_out, g, t0, std::min(n, t0 + tile_tokens));
            scores.resize(rows.q.size() * static_cast<size_t>(ld));
            const kernels::AttnKeys kv{.kt = &kt[g * hp.head_dim * ld],
                                       .ld = ld,
                                       .v = cache.value(layer, 0) + g * hp.head_dim,
                                       .v_stride = hp.kv_width(),
                                       .n_pos = n_ctx,
                                       .head_dim = hp.head_dim,
                                       .scale = scale};
            kernels::attend_f32(kv, rows.view(), scores.data());
        }
    });
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
    const kernels::MatmulWeights qkv[] = {w.wq, w.wk, w.wv};
    float* const qkv_out[] = {q.data(), k.data(), v.data()};
    kernels::matmul_shared_input(qkv, x, qkv_out, n, ctx.options.activations,
                                 ctx.options.n_threads);
    parallel_for(n, ctx.options.n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            const int64_t pos = ctx.first_pos + t;
            finish_heads(ctx, &q[t * hp.q_width()], hp.n_head, w.bq, w.q_norm, t);
            finish_heads(ctx, &k[t * hp.kv_width()], hp.n_head_kv, w.bk, w.k_norm, t);
            if (w.bv) add_bias(&v[t * hp.kv_width()], w.bv.data, hp.kv_width());
            std::copy_n(&k[t * hp.kv_width()], hp.kv_width(), cache.key(layer, pos));
            std::copy_n(&v[t * hp.kv_width()], hp.kv_width(), cache.value(layer, pos));
        }
    });

    std::vector<float> heads_out(
        static_cast<size_t>(n * hp.q_width()));  // [n_tokens, n_head, head_dim]
    if (n > 1 && kernels::attend_f32_is_fast(hp.head_dim)) {
        attend_tiles(ctx, cache, layer, q.data(), heads_out.data());
    } else {
        attend_each_head(ctx, cache, layer, q.data(), heads_out.data());
    }
    project(ctx, w.wo, heads_out.data(), out, n);
}

}  // namespace ql::model
