// AVX-512 dequantizers, bit-identical to the scalar reference (same float
// operations in the same order; this file is compiled with -ffp-contract=off).
// Only reached through best_dequantize() when the CPU has AVX-512.
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"
#include "quant/simd_common.hpp"

namespace ql::quant {

namespace {

void dequantize_f16_avx512(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(
            dst + i,
            _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i))));
    for (; i < n; ++i) dst[i] = half_at(p + 2 * i);
}

void dequantize_bf16_avx512(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    for (; i < n; ++i) {
        uint32_t bits = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
        std::memcpy(dst + i, &bits, 4);
    }
}

// Q8_0: [d: f16][qs: 32 x i8]; y = q * d.
void dequantize_q8_0_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 32; ++i, b += 34, dst += 32) {
        const __m512 d = _mm512_set1_ps(half_at(b));
        const __m128i* qs = reinterpret_cast<const __m128i*>(b + 2);
        _mm512_storeu_ps(dst, _mm512_mul_ps(i8x16_to_ps(_mm_loadu_si128(qs)), d));
        _mm512_storeu_ps(dst + 16, _mm512_mul_ps(i8x16_to_ps(_mm_loadu_si128(qs + 1)), d));
    }
}

// The 32-value legacy formats Q4_0, Q4_1, Q5_0, Q5_1:
//   [d: f16][m: f16, with min][qh: u32, 5-bit][qs: 16 bytes]
// Value j is the low nibble of qs[j] (j < 16) or the high nibble of qs[j - 16],
// with bit j of qh as its fifth bit. Without a min: y = (code - 2^(bits-1)) * d;
// with a min: y = code * d + m.
template <bool kHasMin, bool kFiveBits>
void dequantize_legacy_avx512(const void* src, float* dst, int64_t n) {
    constexpr int kHeader = kHasMin ? 4 : 2;
    constexpr int kQhBytes = kFiveBits ? 4 : 0;
    constexpr int kTypeSize = kHeader + kQhBytes + 16;
    constexpr char kOffset = kFiveBits ? 16 : 8;
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i low_mask = _mm_set1_epi8(0x0f), fifth_bit = _mm_set1_epi8(16);
    for (int64_t i = 0; i < n / 32; ++i, b += kTypeSize, dst += 32) {
        const __m512 d = _mm512_set1_ps(half_at(b));
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kHeader + kQhBytes));
        __m128i lo = _mm_and_si128(q, low_mask);                     // values 0..15
        __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), low_mask);  // values 16..31
        if constexpr (kFiveBits) {
            uint32_t qh;
            std::memcpy(&qh, b + kHeader, 4);
            lo = _mm_or_si128(lo, _mm_maskz_mov_epi8(static_cast<__mmask16>(qh), fifth_bit));
            hi = _mm_or_si128(hi, _mm_maskz_mov_epi8(static_cast<__mmask16>(qh >> 16), fifth_bit));
        }
        if constexpr (kHasMin) {
            const __m512 m = _mm512_set1_ps(half_at(b + 2));
            _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_mul_ps(u8x16_to_ps(lo), d), m));
            _mm512_storeu_ps(dst + 16, _mm512_add_ps(_mm512_mul_ps(u8x16_to_ps(hi), d), m));
        } else {
            const __m128i offset = _mm_set1_epi8(kOffset);
            _mm512_storeu_ps(dst, _mm512_mul_ps(i8x16_to_ps(_mm_sub_epi8(lo, offset)), d));
            _mm512_storeu_ps(dst + 16, _mm512_mul_ps(i8x16_to_ps(_mm_sub_epi8(hi, offset)), d));
        }
    }
}

// Q8_K: [d: f32][qs: 256 x i8][bsums: 16 x i16]; y = d * q.
void dequantize_q8_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 292) {
        float d_scalar;
        std::memcpy(&d_scalar, b, 4);
        const __m512 d = _mm512_set1_ps(d_scalar);
        const auto* qs = reinterpret_cast<const __m128i*>(b + 4);
        for (int k = 0; k < 16; ++k, dst += 16)
            _mm512_storeu_ps(dst, _mm512_mul_ps(d, i8x16_to_ps(_mm_loadu_si128(qs + k))));
    }
}

// 16 bytes of two 4-bit indices into a 16-entry int8 table -> 32 values
// table[index] * d (low nibbles first, then high nibbles).
inline void store_table_nibbles(float* y, const uint8_t* qs, __m128i table, __m512 d) {
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(q, low_mask));
    const __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low_mask));
    _mm512_storeu_ps(y, _mm512_mul_ps(i8x16_to_ps(lo), d));
    _mm512_storeu_ps(y + 16, _mm512_mul_ps(i8x16_to_ps(hi), d));
}

// IQ4_NL levels (ggml's kvalues_iq4nl), as a shuffle table.
inline __m128i iq4_level_table() {
    return _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
}

// IQ4_NL: [d: f16][qs: 16]; y = d * level[nibble].
void dequantize_iq4_nl_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i table = iq4_level_table();
    for (int64_t i = 0; i < n / 32; ++i, b += 18, dst += 32)
        store_table_nibbles(dst, b + 2, table, _mm512_set1_ps(half_at(b)));
}

// MXFP4: [e: E8M0][qs: 16]; y = (2 * E2M1 value) * 2^(e - 128).
void dequantize_mxfp4_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i table = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    for (int64_t i = 0; i < n / 32; ++i, b += 17, dst += 32) {
        const uint8_t e = b[0];
        const uint32_t bits =
            e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);  // 2^(e - 128)
        float scale;
        std::memcpy(&scale, &bits, 4);
        store_table_nibbles(dst, b + 1, table, _mm512_set1_ps(scale));
    }
}

// 32 nibbles (one half of 32 bytes) -> y = d1 * q - m1.
inline void store_nibbles(float* y, __m256i nibbles, float d1, float m1) {
    const __m512 dv = _mm512_set1_ps(d1), mv = _mm512_set1_ps(m1);
    const __m512 q0 = u8x16_to_ps(_mm256_castsi256_si128(nibbles));
    const __m512 q1 = u8x16_to_ps(_mm256_extracti128_si256(nibbles, 1));
    _mm512_storeu_ps(y, _mm512_sub_ps(_mm512_mul_ps(dv, q0), mv));
    _mm512_storeu_ps(y + 16, _mm512_sub_ps(_mm512_mul_ps(dv, q1), mv));
}

// Q4_K: [d: f16][dmin: f16][scales: 12][qs: 128]; per 64 values two sub-blocks
// of 32 share 32 bytes (low nibbles, then high nibbles).
void dequantize_q4_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i mask = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < n / 256; ++i, b += 144) {
        const float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t* scales = b + 4;
        const uint8_t* q = b + 16;
        for (int j = 0; j < 4; ++j, q += 32, dst += 64) {
            int sc, m;
            const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
            six_bit_scale_min(scales, 2 * j, sc, m);
            store_nibbles(dst, _mm256_and_si256(bytes, mask), d * static_cast<float>(sc),
                          dmin * static_cast<float>(m));
            six_bit_scale_min(scales, 2 * j + 1, sc, m);
            store_nibbles(dst + 32, _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask),
                          d * static_cast<float>(sc), dmin * static_cast<float>(m));
        }
    }
}

// Q6_K: [ql: 128][qh: 64][scales: 16 x i8][d: f16]; y = (d * scale) * q.
void dequantize_q6_k_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i m4 = _mm_set1_epi8(0x0f), m2 = _mm_set1_epi8(0x03), off = _mm_set1_epi8(32);
    for (int64_t i = 0; i < n / 256; ++i, b += 210) {
        const float d = half_at(b + 208);
        const uint8_t* ql = b;
        const uint8_t* qh = b + 128;
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
        for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, dst += 128) {
            for (int l = 0; l < 32; l += 16) {
                const int is = l / 16;
                const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + l));
                const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ql + l + 32));
                const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qh + l));
                const __m128i q[4] = {
                    _mm_or_si128(_mm_and_si128(a, m4), _mm_slli_epi16(_mm_and_si128(h, m2), 4)),
                    _mm_or_si128(_mm_and_si128(c, m4),
                                 _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(h, 2), m2), 4)),
                    _mm_or_si128(_mm_and_si128(_mm_srli_epi16(a, 4), m4),
                                 _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(h, 4), m2), 4)),
                    _mm_or_si128(_mm_and_si128(_mm_srli_epi16(c, 4), m4),
                                 _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(h, 6), m2), 4)),
                };
                for (int k = 0; k < 4; ++k) {
                    const __m512 ds = _mm512_set1_ps(d * static_cast<float>(sc[is + 2 * k]));
                    const __m512 qf = i8x16_to_ps(_mm_sub_epi8(q[k], off));
                    _mm512_storeu_ps(dst + l + 32 * k, _mm512_mul_ps(ds, qf));
                }
            }
        }
    }
}

}  // namespace

DequantizeFn avx512_dequantize(TypeId type) {
    switch (type) {
        case TypeId::F16:
            return dequantize_f16_avx512;
        case TypeId::BF16:
            return dequantize_bf16_avx512;
        case TypeId::Q8_0:
            return dequantize_q8_0_avx512;
        case TypeId::Q4_0:
            return dequantize_legacy_avx512<false, false>;
        case TypeId::Q4_1:
            return dequantize_legacy_avx512<true, false>;
        case TypeId::Q5_0:
            return dequantize_legacy_avx512<false, true>;
        case TypeId::Q5_1:
            return dequantize_legacy_avx512<true, true>;
        case TypeId::Q8_K:
            return dequantize_q8_k_avx512;
        case TypeId::IQ4_NL:
            return dequantize_iq4_nl_avx512;
        case TypeId::MXFP4:
            return dequantize_mxfp4_avx512;
        case TypeId::Q4_K:
            return dequantize_q4_k_avx512;
        case TypeId::Q6_K:
            return dequantize_q6_k_avx512;
        default:
            return detail::avx512_dequantize_kquants(type);
    }
}

}  // namespace ql::quant
