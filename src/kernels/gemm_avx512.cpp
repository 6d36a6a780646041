// The GEMM micro-kernel (gemm.hpp): one decoded panel of 16 weight rows
// against a tile of up to 8 tokens. Per group of values, each token keeps an
// int32 sum per row (vpdpbusd: 4 unsigned levels x 4 signed activations per
// lane, the activation dword broadcast to all 16 rows); at the end of the
// group the sum is turned to float and scaled by the rows' scales and the
// token's activation scale; offsets (mins) use the token's activation sum.
// Tiles interleave their tokens ([n_in / 4][8][4]) so every load of the tile
// is a constant offset from one pointer.
#include <immintrin.h>

#include "kernels/gemm.hpp"

namespace ql::kernels::gemm_detail {

namespace {

constexpr int kT = kTileTokens;

template <int NT, int G>
void tokens_tile(const Panel& p, const GemmActs& a, int64_t tile, float* y, int64_t y_stride,
                 __mmask16 rows) {
    __m512 facc[NT];
    for (int t = 0; t < NT; ++t) facc[t] = _mm512_setzero_ps();
    const int8_t* q = a.q + tile * kT * a.n_in;  // [n_in / 4][8][4]
    const int32_t* init = a.init + tile * kT * a.n_groups;
    const float* d = a.d + tile * kT * a.n_groups;
    const float* d_sum = a.d_sum + tile * kT * a.n_groups;
    const uint8_t* wl = p.levels;  // [n_in / 4][16][4]
    const int64_t n_groups = p.n_in / G;
    for (int64_t g = 0; g < n_groups; ++g, q += G * kT, wl += G * kPanelRows) {
        __m512i iacc[NT];
        for (int t = 0; t < NT; ++t) iacc[t] = _mm512_set1_epi32(init[g * kT + t]);
        for (int k = 0; k < G / 4; ++k) {
            const __m512i w = _mm512_load_si512(wl + 64 * k);
            const auto* qk = reinterpret_cast<const int32_t*>(q + 4 * kT * k);
            for (int t = 0; t < NT; ++t)
                iacc[t] = _mm512_dpbusd_epi32(iacc[t], w, _mm512_set1_epi32(qk[t]));
        }
        const __m512 s = _mm512_load_ps(p.scale + g * kPanelRows);
        for (int t = 0; t < NT; ++t) {
            const __m512 st = _mm512_mul_ps(s, _mm512_set1_ps(d[g * kT + t]));
            facc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[t]), st, facc[t]);
        }
        if (p.offset) {
            const __m512 o = _mm512_load_ps(p.offset + g * kPanelRows);
            for (int t = 0; t < NT; ++t)
                facc[t] = _mm512_fmadd_ps(o, _mm512_set1_ps(d_sum[g * kT + t]), facc[t]);
        }
    }
    float* out = y + tile * kT * y_stride;
    for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(out + t * y_stride, rows, facc[t]);
}

template <int G>
void all_tiles(const Panel& p, const GemmActs& a, int64_t n_tok, float* y, int64_t y_stride,
               __mmask16 rows) {
    const int64_t full = n_tok / kT;
    for (int64_t tile = 0; tile < full; ++tile) tokens_tile<kT, G>(p, a, tile, y, y_stride, rows);
    switch (n_tok % kT) {
        case 7:
            return tokens_tile<7, G>(p, a, full, y, y_stride, rows);
        case 6:
            return tokens_tile<6, G>(p, a, full, y, y_stride, rows);
        case 5:
            return tokens_tile<5, G>(p, a, full, y, y_stride, rows);
        case 4:
            return tokens_tile<4, G>(p, a, full, y, y_stride, rows);
        case 3:
            return tokens_tile<3, G>(p, a, full, y, y_stride, rows);
        case 2:
            return tokens_tile<2, G>(p, a, full, y, y_stride, rows);
        case 1:
            return tokens_tile<1, G>(p, a, full, y, y_stride, rows);
        default:
            return;
    }
}

}  // namespace

void interleave_rows_avx512(const uint8_t* rows, int64_t n_in, uint8_t* levels) {
    const auto* base = reinterpret_cast<const int32_t*>(rows);
    const int64_t n4 = n_in / 4;  // dwords per row
    __m512i idx =
        _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                           _mm512_set1_epi32(static_cast<int32_t>(n4)));
    const __m512i one = _mm512_set1_epi32(1);
    for (int64_t k = 0; k < n4; ++k, idx = _mm512_add_epi32(idx, one))
        _mm512_store_si512(levels + 64 * k, _mm512_i32gather_epi32(idx, base, 4));
}

void interleave_groups_avx512(const float* rows_g, int64_t n_groups, float* out_g) {
    __m512i idx =
        _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                           _mm512_set1_epi32(static_cast<int32_t>(n_groups)));
    const __m512i one = _mm512_set1_epi32(1);
    for (int64_t g = 0; g < n_groups; ++g, idx = _mm512_add_epi32(idx, one))
        _mm512_store_ps(out_g + 16 * g, _mm512_i32gather_ps(idx, rows_g, 4));
}

void panel_times_tokens_avx512(const Panel& p, const GemmActs& a, int64_t n_tok, float* y,
                               int64_t y_stride, int n_rows) {
    const auto rows = static_cast<__mmask16>((1u << n_rows) - 1);
    switch (p.group) {
        case 16:
            return all_tiles<16>(p, a, n_tok, y, y_stride, rows);
        case 32:
            return all_tiles<32>(p, a, n_tok, y, y_stride, rows);
        default:
            return all_tiles<256>(p, a, n_tok, y, y_stride, rows);
    }
}

}  // namespace ql::kernels::gemm_detail
