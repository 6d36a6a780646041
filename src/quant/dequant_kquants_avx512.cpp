// AVX-512 dequantizers of the 256-value super-block formats (Q2_K, Q3_K, Q5_K,
// IQ4_XS, TQ2_0), bit-identical to the scalar reference: the same float
// operations in the same order (this file is compiled with -ffp-contract=off;
// no fused multiply-add). Reached through avx512_dequantize().
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"
#include "quant/simd_common.hpp"

namespace ql::quant {

namespace {

// y[0..16) = dl * q - ml, q: 16 unsigned bytes (the k-quant reconstruction).
inline void store16_affine(float* y, __m128i q, float dl, float ml) {
    _mm512_storeu_ps(
        y, _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(dl), u8x16_to_ps(q)), _mm512_set1_ps(ml)));
}

// y[0..16) = d * q, q: 16 signed bytes.
inline void store16_scaled(float* y, __m128i q, float d) {
    _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_set1_ps(d), i8x16_to_ps(q)));
}

inline __m128i low_half(__m256i v) {
    return _mm256_castsi256_si128(v);
}
inline __m128i high_half(__m256i v) {
    return _mm256_extracti128_si256(v, 1);
}

// Q2_K: [scales: 16 (scale | min << 4)][qs: 64][d: f16][dmin: f16] (84 bytes).
// Value 128h + 32k + l is bits 2k..2k+1 of qs[32h + l]; sub-blocks of 16.
void dequantize_q2_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 84) {
        const float d = half_at(b + 80), dmin = half_at(b + 82);
        const uint8_t* scales = b;  // [16]
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 16 + 32 * h);
            for (int k = 0; k < 4; ++k, dst += 32) {
                const __m256i q = two_bit_field(bytes, k);
                const int j = 8 * h + 2 * k;  // sub-block of the first 16 values
                store16_affine(dst, low_half(q), d * static_cast<float>(scales[j] & 15),
                               dmin * static_cast<float>(scales[j] >> 4));
                store16_affine(dst + 16, high_half(q), d * static_cast<float>(scales[j + 1] & 15),
                               dmin * static_cast<float>(scales[j + 1] >> 4));
            }
        }
    }
}

// The 16 signed 6-bit scales of a Q3_K block (stored + 32): low nibble in
// byte j % 8 (low nibble for j < 8, high otherwise), top two bits in byte
// 8 + j % 4 at bit 2 * (j / 4).
inline void q3_k_scales(const uint8_t* s, int* out) {
    for (int j = 0; j < 16; ++j) {
        const int low = (s[j % 8] >> (j < 8 ? 0 : 4)) & 15;
        const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (low | high << 4) - 32;
    }
}

// Q3_K: [hmask: 32][qs: 64][scales: 12][d: f16] (110 bytes). Level of value
// i = 128h + 32k + l: the 2-bit field as Q2_K, minus 4 unless bit 4h + k of
// hmask[l] is set. y = (d * scale) * level.
void dequantize_q3_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i four = _mm256_set1_epi8(4);
    for (int64_t i = 0; i < n / 256; ++i, b += 110) {
        const float d = half_at(b + 108);
        int scale[16];
        q3_k_scales(b + 96, scale);
        const __m256i hmask = load32(b);
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 32 + 32 * h);
            for (int k = 0; k < 4; ++k, dst += 32) {
                const __mmask32 high = _mm256_test_epi8_mask(
                    hmask, _mm256_set1_epi8(static_cast<char>(1 << (4 * h + k))));
                // level = field - 4 + (high ? 4 : 0), in -4..3
                const __m256i q = _mm256_sub_epi8(
                    _mm256_or_si256(two_bit_field(bytes, k), _mm256_maskz_mov_epi8(high, four)),
                    four);
                const int j = 8 * h + 2 * k;
                store16_scaled(dst, low_half(q), d * static_cast<float>(scale[j]));
                store16_scaled(dst + 16, high_half(q), d * static_cast<float>(scale[j + 1]));
            }
        }
    }
}

// Q5_K: [d: f16][dmin: f16][scales: 12][qh: 32][qs: 128] (176 bytes). Chunk c
// of 64 values: low nibbles of qs[32c..] then high nibbles; the fifth bit of
// sub-block j = 2c + h is bit j of qh[l]. y = (d * scale) * q - dmin * min.
void dequantize_q5_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i low_mask = _mm256_set1_epi8(0x0f), fifth = _mm256_set1_epi8(16);
    for (int64_t i = 0; i < n / 256; ++i, b += 176) {
        const float d = half_at(b), dmin = half_at(b + 2);
        const __m256i qh = load32(b + 16);
        for (int c = 0; c < 4; ++c) {
            const __m256i bytes = load32(b + 48 + 32 * c);
            for (int h = 0; h < 2; ++h, dst += 32) {
                const int j = 2 * c + h;
                const __m256i nibbles =
                    _mm256_and_si256(h == 0 ? bytes : _mm256_srli_epi16(bytes, 4), low_mask);
                const __mmask32 high =
                    _mm256_test_epi8_mask(qh, _mm256_set1_epi8(static_cast<char>(1 << j)));
                const __m256i q = _mm256_or_si256(nibbles, _mm256_maskz_mov_epi8(high, fifth));
                int sc, m;
                six_bit_scale_min(b + 4, j, sc, m);
                const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
                store16_affine(dst, low_half(q), dl, ml);
                store16_affine(dst + 16, high_half(q), dl, ml);
            }
        }
    }
}

// IQ4_XS: [d: f16][scales_h: u16][scales_l: 4][qs: 128] (136 bytes). Sub-block
// ib of 32 values: 6-bit scale (low nibble from scales_l, two high bits from
// scales_h), stored + 32; nibbles as IQ4_NL. y = (d * scale) * level[nibble].
void dequantize_iq4_xs_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i table =
        _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    for (int64_t i = 0; i < n / 256; ++i, b += 136) {
        const float d = half_at(b);
        const int scales_h = b[2] | b[3] << 8;
        for (int ib = 0; ib < 8; ++ib, dst += 32) {
            const int low = (b[4 + ib / 2] >> (4 * (ib % 2))) & 15;
            const int high = (scales_h >> (2 * ib)) & 3;
            const float dl = d * static_cast<float>((low | high << 4) - 32);
            const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 8 + 16 * ib));
            store16_scaled(dst, _mm_shuffle_epi8(table, _mm_and_si128(q, low_mask)), dl);
            store16_scaled(dst + 16,
                           _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low_mask)),
                           dl);
        }
    }
}

// TQ2_0: [qs: 64][d: f16] (66 bytes); 2-bit codes laid out as Q2_K;
// y = (code - 1) * d.
void dequantize_tq2_0_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / 256; ++i, b += 66) {
        const float d = half_at(b + 64);
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 32 * h);
            for (int k = 0; k < 4; ++k, dst += 32) {
                const __m256i q = _mm256_sub_epi8(two_bit_field(bytes, k), one);
                store16_scaled(dst, low_half(q), d);
                store16_scaled(dst + 16, high_half(q), d);
            }
        }
    }
}

}  // namespace

namespace detail {

DequantizeFn avx512_dequantize_kquants(TypeId type) {
    switch (type) {
        case TypeId::Q2_K:
            return dequantize_q2_k_avx512;
        case TypeId::Q3_K:
            return dequantize_q3_k_avx512;
        case TypeId::Q5_K:
            return dequantize_q5_k_avx512;
        case TypeId::IQ4_XS:
            return dequantize_iq4_xs_avx512;
        case TypeId::TQ2_0:
            return dequantize_tq2_0_avx512;
        default:
            return avx512_dequantize_codebooks(type);
    }
}

}  // namespace detail

}  // namespace ql::quant
