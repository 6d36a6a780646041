// AVX-512 batched attention core (see attn_f32.hpp). Rows go in groups of up
// to kRows: their scores for 64 keys at a time from the transposed keys (one
// FMA per query row and key vector per dimension, no horizontal sums), the
// softmax per row with a vectorized exp, then the weighted value sum with each
// value row loaded once per group and broadcast-multiplied into every row's
// accumulators. Per-row arithmetic never depends on the other rows of the
// group: lanes past a row's n_keys get weight exactly 0.
#include <immintrin.h>

#include <algorithm>

#include "kernels/attn_f32.hpp"

namespace ql::kernels::simd {

namespace {

constexpr int kRows = 6;  // query rows per group (PV: kRows x 4 accumulators)

__mmask16 lane_mask(int64_t n) {
    return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

// exp(x) for x <= 0 (and moderately positive): 2^n * p(r) with r = x - n ln2
// split in two parts and a degree-6 polynomial (Cephes expf, ~1 ulp);
// _mm512_scalef_ps does the 2^n with correct underflow to denormals and 0.
__m512 exp_ps(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
    x = _mm512_min_ps(x, _mm512_set1_ps(88.5f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

float hmax(__m512 v) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    return *std::max_element(lanes, lanes + 16);
}

double hsum(__m512d v) {
    alignas(64) double lanes[8];
    _mm512_store_pd(lanes, v);
    double sum = 0.0;
    for (const double x : lanes) sum += x;
    return sum;
}

// Scores of R rows for keys [j0, j0 + 16 * NB): s[r * ld + j] = (q_r · k_j) * scale.
template <int R, int NB>
void score_block(const AttnKeys& kv, const float* const* q, float* s, int64_t j0) {
    __m512 acc[R][NB];
    for (int r = 0; r < R; ++r)
        for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_ps();
    const float* kt = kv.kt + j0;  // [head_dim, ld] from column j0
    for (int64_t d = 0; d < kv.head_dim; ++d) {
        __m512 k[NB];
        for (int b = 0; b < NB; ++b) k[b] = _mm512_loadu_ps(kt + d * kv.ld + 16 * b);
        for (int r = 0; r < R; ++r) {
            const __m512 qd = _mm512_set1_ps(q[r][d]);
            for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_fmadd_ps(qd, k[b], acc[r][b]);
        }
    }
    const __m512 scale = _mm512_set1_ps(kv.scale);
    for (int r = 0; r < R; ++r)
        for (int b = 0; b < NB; ++b)
            _mm512_storeu_ps(s + r * kv.ld + j0 + 16 * b, _mm512_mul_ps(acc[r][b], scale));
}

// Scores of R rows for keys [0, n) rounded up to 16 (n <= n_pos < ld).
template <int R>
void score_rows(const AttnKeys& kv, const float* const* q, int64_t n, float* s) {
    int64_t j = 0;
    for (; j + 64 <= n; j += 64) score_block<R, 4>(kv, q, s, j);
    switch ((n - j + 15) / 16) {  // the last 1..63 keys in one pass
        case 1:
            score_block<R, 1>(kv, q, s, j);
            break;
        case 2:
            score_block<R, 2>(kv, q, s, j);
            break;
        case 3:
            score_block<R, 3>(kv, q, s, j);
            break;
        case 4:
            score_block<R, 4>(kv, q, s, j);
            break;
        default:
            break;
    }
}

// s [n] -> exp(s - max) in place, zeros in [n, n_zero); returns 1 / Σ (in double).
float exp_row(float* s, int64_t n, int64_t n_zero) {
    __m512 vmax = _mm512_set1_ps(s[0]);
    for (int64_t j = 0; j < n; j += 16)
        vmax = _mm512_mask_max_ps(vmax, lane_mask(n - j), vmax, _mm512_loadu_ps(s + j));
    const __m512 max = _mm512_set1_ps(hmax(vmax));
    __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
    for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 m = lane_mask(n - j);
        const __m512 e = _mm512_maskz_mov_ps(m, exp_ps(_mm512_sub_ps(_mm512_loadu_ps(s + j), max)));
        _mm512_mask_storeu_ps(s + j, m, e);
        sum_lo = _mm512_add_pd(sum_lo, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 0)));
        sum_hi = _mm512_add_pd(sum_hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
    }
    std::fill(s + n, s + std::max(n, n_zero), 0.0f);
    return static_cast<float>(1.0 / hsum(_mm512_add_pd(sum_lo, sum_hi)));
}

// out_r [d0, d0 + 16 * NV) = (Σ_{j < n} e[r * ld + j] V_j) * inv[r]; each
// value row's part is loaded once for the R rows.
template <int R, int NV>
void weighted_chunk(const AttnKeys& kv, const float* e, int64_t n, const float* inv,
                    float* const* out, int64_t d0) {
    __m512 acc[R][NV];
    for (int r = 0; r < R; ++r)
        for (int b = 0; b < NV; ++b) acc[r][b] = _mm512_setzero_ps();
    for (int64_t j = 0; j < n; ++j) {
        const float* v = kv.v + j * kv.v_stride + d0;  // [16 * NV]
        __m512 vj[NV];
        for (int b = 0; b < NV; ++b) vj[b] = _mm512_loadu_ps(v + 16 * b);
        for (int r = 0; r < R; ++r) {
            const __m512 p = _mm512_set1_ps(e[r * kv.ld + j]);
            for (int b = 0; b < NV; ++b) acc[r][b] = _mm512_fmadd_ps(p, vj[b], acc[r][b]);
        }
    }
    for (int r = 0; r < R; ++r) {
        const __m512 scale = _mm512_set1_ps(inv[r]);
        for (int b = 0; b < NV; ++b)
            _mm512_storeu_ps(out[r] + d0 + 16 * b, _mm512_mul_ps(acc[r][b], scale));
    }
}

template <int R>
void weighted_rows(const AttnKeys& kv, const float* e, int64_t n, const float* inv,
                   float* const* out) {
    int64_t d = 0;
    for (; d + 64 <= kv.head_dim; d += 64) weighted_chunk<R, 4>(kv, e, n, inv, out, d);
    for (; d < kv.head_dim; d += 16) weighted_chunk<R, 1>(kv, e, n, inv, out, d);
}

// R rows of the tile from row i0: scores, softmax, weighted values.
template <int R>
void attend_rows(const AttnKeys& kv, const AttnQueries& tile, int64_t i0, float* scores) {
    const int64_t* n_keys = tile.n_keys + i0;  // [R]
    const int64_t n = *std::max_element(n_keys, n_keys + R);
    score_rows<R>(kv, tile.q + i0, n, scores);
    float inv[R];
    for (int r = 0; r < R; ++r) inv[r] = exp_row(scores + r * kv.ld, n_keys[r], n);
    weighted_rows<R>(kv, scores, n, inv, tile.out + i0);
}

}  // namespace

void attend_f32_avx512(const AttnKeys& kv, const AttnQueries& tile, float* scores) {
    for (int64_t i = 0; i < tile.n_q; i += kRows) {
        float* s = scores + i * kv.ld;  // [R, ld]
        switch (std::min<int64_t>(kRows, tile.n_q - i)) {
            case 1:
                attend_rows<1>(kv, tile, i, s);
                break;
            case 2:
                attend_rows<2>(kv, tile, i, s);
                break;
            case 3:
                attend_rows<3>(kv, tile, i, s);
                break;
            case 4:
                attend_rows<4>(kv, tile, i, s);
                break;
            case 5:
                attend_rows<5>(kv, tile, i, s);
                break;
            default:
                attend_rows<6>(kv, tile, i, s);
                break;
        }
    }
}

}  // namespace ql::kernels::simd
