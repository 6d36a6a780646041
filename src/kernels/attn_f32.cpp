// Key transposition, the scalar reference of the batched attention core and
// its run-time dispatch.
#include "kernels/attn_f32.hpp"

#include <algorithm>
#include <cmath>

#include "util/cpu.hpp"

namespace ql::kernels {

int64_t attn_keys_ld(int64_t n_pos) {
    return (n_pos + 15) / 16 * 16 + 16;
}

void transpose_keys(const float* k, int64_t k_stride, int64_t n_pos, int64_t head_dim, float* kt,
                    int64_t ld) {
    constexpr int64_t kBlock = 16;  // positions per pass: 16 rows read, 16 floats per kt row
    for (int64_t j0 = 0; j0 < n_pos; j0 += kBlock) {
        const int64_t n = std::min(kBlock, n_pos - j0);
        for (int64_t d = 0; d < head_dim; ++d)
            for (int64_t j = 0; j < n; ++j) kt[d * ld + j0 + j] = k[(j0 + j) * k_stride + d];
    }
    for (int64_t d = 0; d < head_dim; ++d) std::fill(kt + d * ld + n_pos, kt + (d + 1) * ld, 0.0f);
}

namespace scalar {

namespace {

// scores [n] = (q · K[0..n)) * scale.
void score_row(const AttnKeys& kv, const float* q, int64_t n, float* scores) {
    std::fill(scores, scores + n, 0.0f);
    for (int64_t d = 0; d < kv.head_dim; ++d) {
        const float* kt = kv.kt + d * kv.ld;  // [n_pos]
        for (int64_t j = 0; j < n; ++j) scores[j] += q[d] * kt[j];
    }
    for (int64_t j = 0; j < n; ++j) scores[j] *= kv.scale;
}

// In place exp(s - max) of s [n]; returns 1 / Σ (summed in double).
float exp_row(float* s, int64_t n) {
    const float max = *std::max_element(s, s + n);
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) {
        s[j] = std::exp(s[j] - max);
        sum += s[j];
    }
    return static_cast<float>(1.0 / sum);
}

// out [head_dim] = (Σ_j e_j V_j) * inv, j < n.
void weighted_values(const AttnKeys& kv, const float* e, int64_t n, float inv, float* out) {
    std::fill(out, out + kv.head_dim, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
        const float* v = kv.v + j * kv.v_stride;  // [head_dim]
        for (int64_t d = 0; d < kv.head_dim; ++d) out[d] += e[j] * v[d];
    }
    for (int64_t d = 0; d < kv.head_dim; ++d) out[d] *= inv;
}

}  // namespace

void attend_f32(const AttnKeys& kv, const AttnQueries& tile, float* scores) {
    for (int64_t i = 0; i < tile.n_q; ++i) {
        float* s = scores + i * kv.ld;  // [n_keys]
        const int64_t n = tile.n_keys[i];
        score_row(kv, tile.q[i], n, s);
        const float inv = exp_row(s, n);
        weighted_values(kv, s, n, inv, tile.out[i]);
    }
}

}  // namespace scalar

bool attend_f32_is_fast(int64_t head_dim) {
    return head_dim % 16 == 0 && cpu_features().avx512_kernels();
}

void attend_f32(const AttnKeys& kv, const AttnQueries& tile, float* scores) {
    if (attend_f32_is_fast(kv.head_dim)) {
        simd::attend_f32_avx512(kv, tile, scores);
    } else {
        scalar::attend_f32(kv, tile, scores);
    }
}

}  // namespace ql::kernels
