// AVX-512 dequantizers of the codebook formats IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS and IQ3_S, bit-identical to the scalar reference (iq2.cpp, iq3.cpp):
// y = (sub-block scale * magnitude), negated where the sign bit is set
// (negation is exact, so it is done on the sign bit). Compiled with
// -ffp-contract=off; reached through avx512_dequantize().
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq3_grids.hpp"
#include "quant/simd_common.hpp"

namespace ql::quant {

namespace {

// y[0..16) = scale * magnitude[l], with the sign flipped where bit l of
// `negative` is set. magnitudes: 16 unsigned bytes.
inline void store16_signed(float* y, __m128i magnitudes, uint32_t negative, float scale) {
    const __m512 v =
        _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(magnitudes)));
    _mm512_storeu_ps(
        y, _mm512_mask_xor_ps(v, static_cast<__mmask16>(negative), v, _mm512_set1_ps(-0.0f)));
}

// Two IQ2 groups of 8 (grid entries e0, e1 and their 8 sign bits each).
inline void store_iq2_pair(float* y, uint64_t e0, uint64_t e1, uint32_t s0, uint32_t s1,
                           float scale) {
    store16_signed(y, _mm_set_epi64x(static_cast<long long>(e1), static_cast<long long>(e0)),
                   s0 | s1 << 8, scale);
}

// IQ2_XXS (66 bytes): d | 8 x {4 entry bytes, u32: 4 x 7 sign bits, code << 28}.
void dequantize_iq2_xxs_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 66) {
        const float d = half_at(b);
        for (int sub = 0; sub < 8; ++sub, dst += 32) {
            const uint8_t* q = b + 2 + 8 * sub;
            const uint32_t meta = u32_at(q + 4);
            const float scale = iq2_scale(d, meta >> 28);
            for (int g = 0; g < 4; g += 2)
                store_iq2_pair(dst + 8 * g, iq2::kIq2xxsGrid[q[g]], iq2::kIq2xxsGrid[q[g + 1]],
                               iq2::kSignsEvenParity[(meta >> (7 * g)) & 127],
                               iq2::kSignsEvenParity[(meta >> (7 * g + 7)) & 127], scale);
        }
    }
}

// IQ2_XS (74 bytes): d | 32 x u16 (entry 9 bits | 7 sign bits << 9) | 8 code
// bytes (groups 4k, 4k + 1 use the low nibble of byte k, 4k + 2, 4k + 3 the high).
void dequantize_iq2_xs_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 74) {
        const float d = half_at(b);
        for (int g = 0; g < 32; g += 2, dst += 16) {
            const uint32_t pair = u32_at(b + 2 + 2 * g);  // groups g and g + 1
            const uint32_t q0 = pair & 0xffff, q1 = pair >> 16;
            const uint32_t code = (b[66 + g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            store_iq2_pair(dst, iq2::kIq2xsGrid[q0 & 511], iq2::kIq2xsGrid[q1 & 511],
                           iq2::kSignsEvenParity[q0 >> 9], iq2::kSignsEvenParity[q1 >> 9],
                           iq2_scale(d, code));
        }
    }
}

// IQ2_S (82 bytes): d | entry low bytes [32] | sign bytes [32] | entry bits
// 8..9 [8] (2 per group) | code bytes [8] (as IQ2_XS).
void dequantize_iq2_s_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 82) {
        const float d = half_at(b);
        const uint8_t* low = b + 2;
        const uint8_t* signs = b + 34;
        const uint8_t* high = b + 66;
        for (int g = 0; g < 32; g += 2, dst += 16) {
            const uint32_t e0 = low[g] | ((high[g / 4] >> (2 * (g % 4))) & 3u) << 8;
            const uint32_t e1 = low[g + 1] | ((high[g / 4] >> (2 * (g % 4) + 2)) & 3u) << 8;
            const uint32_t code = (b[74 + g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            store_iq2_pair(dst, iq2::kIq2sGrid[e0], iq2::kIq2sGrid[e1], signs[g], signs[g + 1],
                           iq2_scale(d, code));
        }
    }
}

// Four IQ3 points (4 magnitudes each) with their 16 sign bits.
inline void store_iq3_quad(float* y, uint32_t p0, uint32_t p1, uint32_t p2, uint32_t p3,
                           uint32_t negative, float scale) {
    store16_signed(y,
                   _mm_setr_epi32(static_cast<int>(p0), static_cast<int>(p1), static_cast<int>(p2),
                                  static_cast<int>(p3)),
                   negative, scale);
}

// IQ3_XXS (98 bytes): d | point[64] | 8 x u32 (4 x 7 sign bits, scale << 28).
// Sub-block scale d * (0.5 + s) * 0.5.
void dequantize_iq3_xxs_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 98) {
        const float d = half_at(b);
        const uint8_t* point = b + 2;
        for (int ib = 0; ib < 8; ++ib, dst += 32) {
            const uint32_t word = u32_at(b + 66 + 4 * ib);
            const float scale = d * (0.5f + static_cast<float>(word >> 28)) * 0.5f;
            for (int h = 0; h < 2; ++h) {  // 16 values: 4 points, 2 sign bytes
                const uint8_t* p = point + 8 * ib + 4 * h;
                const uint32_t negative = kEvenSigns[(word >> (14 * h)) & 127] |
                                          kEvenSigns[(word >> (14 * h + 7)) & 127] << 8;
                store_iq3_quad(dst + 16 * h, kIq3XxsGrid[p[0]], kIq3XxsGrid[p[1]],
                               kIq3XxsGrid[p[2]], kIq3XxsGrid[p[3]], negative, scale);
            }
        }
    }
}

// IQ3_S (110 bytes): d | point low bits [64] | point bit 8 [8] | signs [32] |
// scales [4] (nibble per 32 values). Sub-block scale d * (1 + 2s).
void dequantize_iq3_s_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 110) {
        const float d = half_at(b);
        const uint8_t* low = b + 2;
        const uint8_t* high = b + 66;
        const uint8_t* signs = b + 74;
        for (int ib = 0; ib < 8; ++ib) {
            const int s = (b[106 + ib / 2] >> (4 * (ib % 2))) & 15;
            const float scale = d * static_cast<float>(1 + 2 * s);
            for (int h = 0; h < 2; ++h, dst += 16) {
                const int g = 8 * ib + 4 * h;  // first of 4 points
                uint32_t points[4];
                for (int k = 0; k < 4; ++k)
                    points[k] =
                        kIq3SGrid[low[g + k] | ((high[(g + k) / 8] >> ((g + k) % 8)) & 1) << 8];
                const uint32_t negative = signs[g / 2] | signs[g / 2 + 1] << 8;
                store_iq3_quad(dst, points[0], points[1], points[2], points[3], negative, scale);
            }
        }
    }
}

}  // namespace

namespace detail {

DequantizeFn avx512_dequantize_codebooks(TypeId type) {
    switch (type) {
        case TypeId::IQ2_XXS:
            return dequantize_iq2_xxs_avx512;
        case TypeId::IQ2_XS:
            return dequantize_iq2_xs_avx512;
        case TypeId::IQ2_S:
            return dequantize_iq2_s_avx512;
        case TypeId::IQ3_XXS:
            return dequantize_iq3_xxs_avx512;
        case TypeId::IQ3_S:
            return dequantize_iq3_s_avx512;
        default:
            return nullptr;
    }
}

}  // namespace detail

}  // namespace ql::quant
