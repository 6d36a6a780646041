// Batched attention core in f32: a tile of query rows that share one key/value
// head against that head's cached positions, causal per row.
//
// Keys come transposed ([head_dim, ld], see transpose_keys) so a vector of
// 16 keys' scores is built with FMAs and no horizontal sums; values are rows.
// Every output row's arithmetic depends only on that row (its query, its
// n_keys, the keys and values), never on which other rows share the tile, so
// any partition of rows into tiles gives the same bits.
#pragma once

#include <cstdint>

namespace ql::kernels {

// The keys and values of one key/value head over positions [0, n_pos).
struct AttnKeys {
    const float* kt = nullptr;  // [head_dim, ld]: kt[d * ld + j] = component d of key j
    int64_t ld = 0;             // attn_keys_ld(n_pos); columns n_pos..ld are zero
    const float* v = nullptr;   // [n_pos, v_stride]: value j at v + j * v_stride, head_dim used
    int64_t v_stride = 0;
    int64_t n_pos = 0;
    int64_t head_dim = 0;
    float scale = 1.0f;  // score = (q · k) * scale
};

// A tile of query rows; row i sees keys [0, n_keys[i]), 1 <= n_keys[i] <= n_pos.
struct AttnQueries {
    const float* const* q = nullptr;  // [n_q] -> [head_dim]
    float* const* out = nullptr;      // [n_q] -> [head_dim]
    const int64_t* n_keys = nullptr;  // [n_q]
    int64_t n_q = 0;
};

// Row stride of transposed keys for n_pos positions: a multiple of 16, with
// at least one spare vector (so rows of large power-of-two widths do not
// share cache sets).
int64_t attn_keys_ld(int64_t n_pos);

// kt [head_dim, ld] from key rows k [n_pos, k_stride] (head_dim used of each);
// columns n_pos..ld are set to zero.
void transpose_keys(const float* k, int64_t k_stride, int64_t n_pos, int64_t head_dim, float* kt,
                    int64_t ld);

// True when attend_f32 runs a SIMD kernel for this head size (the caller may
// prefer its own path otherwise).
bool attend_f32_is_fast(int64_t head_dim);

// For every row: out_i = softmax((q_i · K[0..n_keys_i)) * scale) · V[0..n_keys_i),
// the softmax max-subtracted and summed in double. scores [n_q, kv.ld] is
// scratch.
void attend_f32(const AttnKeys& kv, const AttnQueries& tile, float* scores);

namespace scalar {
void attend_f32(const AttnKeys& kv, const AttnQueries& tile, float* scores);
}  // namespace scalar

namespace simd {
// Needs head_dim % 16 == 0.
void attend_f32_avx512(const AttnKeys& kv, const AttnQueries& tile, float* scores);
}  // namespace simd

}  // namespace ql::kernels
