// AVX-512 dequantizers, bit-identical to the scalar reference (same float
// operations in the same order; this file is compiled with -ffp-contract=off).
// Only reached through best_dequantize() when the CPU has AVX-512.
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"

namespace ql::quant {

namespace {

inline float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// 16 bytes -> 16 floats (unsigned / signed).
inline __m512 u8x16_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v));
}
inline __m512 i8x16_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v));
}

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

// Q4_0: [d: f16][qs: 16 bytes]; y[j] = (lo - 8) * d, y[j + 16] = (hi - 8) * d.
void dequantize_q4_0_avx512(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i low_mask = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (int64_t i = 0; i < n / 32; ++i, b += 18, dst += 32) {
        const __m512 d = _mm512_set1_ps(half_at(b));
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
        const __m128i lo = _mm_sub_epi8(_mm_and_si128(q, low_mask), eight);
        const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), low_mask), eight);
        _mm512_storeu_ps(dst, _mm512_mul_ps(i8x16_to_ps(lo), d));
        _mm512_storeu_ps(dst + 16, _mm512_mul_ps(i8x16_to_ps(hi), d));
    }
}

// Q4_K scale/min pair j (0..7) from the 12 packed 6-bit bytes.
inline void q4k_scale_min(const uint8_t* s, int j, int& scale, int& min) {
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
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
            q4k_scale_min(scales, 2 * j, sc, m);
            store_nibbles(dst, _mm256_and_si256(bytes, mask), d * static_cast<float>(sc),
                          dmin * static_cast<float>(m));
            q4k_scale_min(scales, 2 * j + 1, sc, m);
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
            return dequantize_q4_0_avx512;
        case TypeId::Q4_K:
            return dequantize_q4_k_avx512;
        case TypeId::Q6_K:
            return dequantize_q6_k_avx512;
        default:
            return nullptr;
    }
}

}  // namespace ql::quant
