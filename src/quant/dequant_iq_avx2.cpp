// AVX2 dequantizers of the codebook formats IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS
// and IQ3_S, bit-identical to the scalar reference (iq2.cpp, iq3.cpp):
// y = (sub-block scale * magnitude), negated where the sign bit is set
// (negation is exact, so it is done on the sign bit). Compiled with
// -ffp-contract=off; reached through avx2_dequantize(). Layouts: see
// dequant_iq_avx512.cpp and the reference files.
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq3_grids.hpp"
#include "quant/simd_common.hpp"

namespace ql::quant {

namespace {

// y[0..8) = scale * magnitude[l], sign flipped where bit l of `negative` is
// set. magnitudes: 8 bytes packed in a u64, first value in the lowest byte.
inline void store8_signed(float* y, uint64_t magnitudes, uint32_t negative, float scale) {
    const __m256 v = _mm256_mul_ps(_mm256_set1_ps(scale),
                                   _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                       _mm_cvtsi64_si128(static_cast<long long>(magnitudes)))));
    const __m256i probe = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i set = _mm256_cmpeq_epi32(
        _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(negative)), probe), probe);
    _mm256_storeu_ps(
        y, _mm256_xor_ps(v, _mm256_and_ps(_mm256_castsi256_ps(set), _mm256_set1_ps(-0.0f))));
}

// IQ2_XXS (66 bytes): d | 8 x {4 entry bytes, u32: 4 x 7 sign bits, code << 28}.
void dequantize_iq2_xxs_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 66) {
        const float d = half_at(b);
        for (int sub = 0; sub < 8; ++sub) {
            const uint8_t* q = b + 2 + 8 * sub;
            const uint32_t meta = u32_at(q + 4);
            const float scale = iq2_scale(d, meta >> 28);
            for (int g = 0; g < 4; ++g, dst += 8)
                store8_signed(dst, iq2::kIq2xxsGrid[q[g]],
                              iq2::kSignsEvenParity[(meta >> (7 * g)) & 127], scale);
        }
    }
}

// IQ2_XS (74 bytes): d | 32 x u16 (entry 9 bits | 7 sign bits << 9) | 8 code bytes.
void dequantize_iq2_xs_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 74) {
        const float d = half_at(b);
        for (int g = 0; g < 32; ++g, dst += 8) {
            const uint32_t q = b[2 + 2 * g] | b[3 + 2 * g] << 8;
            const uint32_t code = (b[66 + g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            store8_signed(dst, iq2::kIq2xsGrid[q & 511], iq2::kSignsEvenParity[q >> 9],
                          iq2_scale(d, code));
        }
    }
}

// IQ2_S (82 bytes): d | entry low bytes [32] | sign bytes [32] | entry bits
// 8..9 [8] | code bytes [8].
void dequantize_iq2_s_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 82) {
        const float d = half_at(b);
        for (int g = 0; g < 32; ++g, dst += 8) {
            const uint32_t entry = b[2 + g] | ((b[66 + g / 4] >> (2 * (g % 4))) & 3u) << 8;
            const uint32_t code = (b[74 + g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            store8_signed(dst, iq2::kIq2sGrid[entry], b[34 + g], iq2_scale(d, code));
        }
    }
}

inline uint64_t two_points(uint32_t p0, uint32_t p1) {
    return static_cast<uint64_t>(p0) | static_cast<uint64_t>(p1) << 32;
}

// IQ3_XXS (98 bytes): d | point[64] | 8 x u32 (4 x 7 sign bits, scale << 28).
void dequantize_iq3_xxs_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 98) {
        const float d = half_at(b);
        for (int ib = 0; ib < 8; ++ib) {
            const uint32_t word = u32_at(b + 66 + 4 * ib);
            const float scale = d * (0.5f + static_cast<float>(word >> 28)) * 0.5f;
            const uint8_t* p = b + 2 + 8 * ib;  // [8] points of this sub-block
            for (int l = 0; l < 4; ++l, dst += 8)
                store8_signed(dst, two_points(kIq3XxsGrid[p[2 * l]], kIq3XxsGrid[p[2 * l + 1]]),
                              kEvenSigns[(word >> (7 * l)) & 127], scale);
        }
    }
}

// IQ3_S (110 bytes): d | point low bits [64] | point bit 8 [8] | signs [32] |
// scales [4] (nibble per 32 values).
void dequantize_iq3_s_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 110) {
        const float d = half_at(b);
        const uint8_t* low = b + 2;
        const uint8_t* high = b + 66;
        for (int ib = 0; ib < 8; ++ib) {
            const int s = (b[106 + ib / 2] >> (4 * (ib % 2))) & 15;
            const float scale = d * static_cast<float>(1 + 2 * s);
            for (int l = 0; l < 4; ++l, dst += 8) {
                const int g = 8 * ib + 2 * l;  // first of 2 points
                const uint32_t p0 = kIq3SGrid[low[g] | ((high[g / 8] >> (g % 8)) & 1) << 8];
                const uint32_t p1 =
                    kIq3SGrid[low[g + 1] | ((high[(g + 1) / 8] >> ((g + 1) % 8)) & 1) << 8];
                store8_signed(dst, two_points(p0, p1), b[74 + g / 2], scale);
            }
        }
    }
}

}  // namespace

namespace detail {

DequantizeFn avx2_dequantize_codebooks(TypeId type) {
    switch (type) {
        case TypeId::IQ2_XXS:
            return dequantize_iq2_xxs_avx2;
        case TypeId::IQ2_XS:
            return dequantize_iq2_xs_avx2;
        case TypeId::IQ2_S:
            return dequantize_iq2_s_avx2;
        case TypeId::IQ3_XXS:
            return dequantize_iq3_xxs_avx2;
        case TypeId::IQ3_S:
            return dequantize_iq3_s_avx2;
        default:
            return nullptr;
    }
}

}  // namespace detail

}  // namespace ql::quant
