// AVX2 dequantizers (with F16C), bit-identical to the scalar reference: the
// same float operations in the same order (this file is compiled with
// -ffp-contract=off; no fused multiply-add). Reached through best_dequantize()
// when the CPU has AVX2 but not our AVX-512 set (or QL_CPU=avx2).
#include <immintrin.h>

#include <cstring>

#include "quant/dequant_simd.hpp"
#include "quant/simd_common.hpp"

namespace ql::quant {

namespace {

inline __m128i load16(const uint8_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The low 8 bytes of v -> 8 floats (unsigned / signed).
inline __m256 u8x8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
}
inline __m256 i8x8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
}

// y[0..16) = d * q, q: 16 signed bytes.
inline void store16_scaled(float* y, __m128i q, __m256 d) {
    _mm256_storeu_ps(y, _mm256_mul_ps(d, i8x8_to_ps(q)));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(d, i8x8_to_ps(_mm_unpackhi_epi64(q, q))));
}

// y[0..16) = dl * q - ml, q: 16 unsigned bytes (the k-quant reconstruction).
inline void store16_affine(float* y, __m128i q, __m256 dl, __m256 ml) {
    _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(dl, u8x8_to_ps(q)), ml));
    _mm256_storeu_ps(y + 8,
                     _mm256_sub_ps(_mm256_mul_ps(dl, u8x8_to_ps(_mm_unpackhi_epi64(q, q))), ml));
}

// 0xff in byte l of the result where bit `bit` of byte l of `bytes` is set.
inline __m256i bit_set_mask(__m256i bytes, int bit) {
    const __m256i probe = _mm256_set1_epi8(static_cast<char>(1 << bit));
    return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, probe), probe);
}

void dequantize_f16_avx2(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(load16(p + 2 * i)));
    for (; i < n; ++i) dst[i] = half_at(p + 2 * i);
}

void dequantize_bf16_avx2(const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i w = _mm256_cvtepu16_epi32(load16(p + 2 * i));
        _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    for (; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
        std::memcpy(dst + i, &bits, 4);
    }
}

// Q8_0: [d: f16][qs: 32 x i8]; y = q * d.
void dequantize_q8_0_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 32; ++i, b += 34, dst += 32) {
        const __m256 d = _mm256_set1_ps(half_at(b));
        store16_scaled(dst, load16(b + 2), d);
        store16_scaled(dst + 16, load16(b + 18), d);
    }
}

// 16 bits -> 16 bytes: byte j is 0xff where bit j of `bits` is set.
inline __m128i expand_bits16(uint32_t bits) {
    const __m128i spread =  // byte j holds byte j / 8 of bits
        _mm_shuffle_epi8(_mm_cvtsi32_si128(static_cast<int>(bits)),
                         _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const __m128i probe = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    return _mm_cmpeq_epi8(_mm_and_si128(spread, probe), probe);
}

// The 32-value legacy formats Q4_0, Q4_1, Q5_0, Q5_1 (layouts in legacy.cpp):
// without a min y = (code - 2^(bits-1)) * d, with a min y = code * d + m.
template <bool kHasMin, bool kFiveBits>
void dequantize_legacy_avx2(const void* src, float* dst, int64_t n) {
    constexpr int kHeader = kHasMin ? 4 : 2;
    constexpr int kQhBytes = kFiveBits ? 4 : 0;
    constexpr int kTypeSize = kHeader + kQhBytes + 16;
    constexpr char kOffset = kFiveBits ? 16 : 8;
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i low_mask = _mm_set1_epi8(0x0f), fifth_bit = _mm_set1_epi8(16);
    for (int64_t i = 0; i < n / 32; ++i, b += kTypeSize, dst += 32) {
        const __m256 d = _mm256_set1_ps(half_at(b));
        const __m128i q = load16(b + kHeader + kQhBytes);
        __m128i lo = _mm_and_si128(q, low_mask);                     // values 0..15
        __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), low_mask);  // values 16..31
        if constexpr (kFiveBits) {
            uint32_t qh;
            std::memcpy(&qh, b + kHeader, 4);
            lo = _mm_or_si128(lo, _mm_and_si128(expand_bits16(qh & 0xffff), fifth_bit));
            hi = _mm_or_si128(hi, _mm_and_si128(expand_bits16(qh >> 16), fifth_bit));
        }
        if constexpr (kHasMin) {
            const __m256 m = _mm256_set1_ps(half_at(b + 2));
            const __m128i parts[4] = {lo, _mm_unpackhi_epi64(lo, lo), hi,
                                      _mm_unpackhi_epi64(hi, hi)};
            for (int k = 0; k < 4; ++k)
                _mm256_storeu_ps(dst + 8 * k,
                                 _mm256_add_ps(_mm256_mul_ps(u8x8_to_ps(parts[k]), d), m));
        } else {
            const __m128i offset = _mm_set1_epi8(kOffset);
            store16_scaled(dst, _mm_sub_epi8(lo, offset), d);
            store16_scaled(dst + 16, _mm_sub_epi8(hi, offset), d);
        }
    }
}

// 32 unsigned levels of sub-block j -> y = (d * scale) * q - dmin * min.
inline void store32_k_sub_block(float* y, __m256i q, const uint8_t* scales, int j, float d,
                                float dmin) {
    int sc, m;
    six_bit_scale_min(scales, j, sc, m);
    const __m256 dl = _mm256_set1_ps(d * static_cast<float>(sc));
    const __m256 ml = _mm256_set1_ps(dmin * static_cast<float>(m));
    store16_affine(y, _mm256_castsi256_si128(q), dl, ml);
    store16_affine(y + 16, _mm256_extracti128_si256(q, 1), dl, ml);
}

// Q4_K: [d: f16][dmin: f16][scales: 12][qs: 128]; chunk c of 64 values is
// the low nibbles of qs[32c..32c+32) (sub-block 2c), then the high nibbles.
// Q5_K: [d][dmin][scales: 12][qh: 32][qs: 128]; as Q4_K plus the fifth bit of
// sub-block j in bit j of qh[l].
template <bool kFiveBits>
void dequantize_q4_q5_k_avx2(const void* src, float* dst, int64_t n) {
    constexpr int kQs = kFiveBits ? 48 : 16;
    constexpr int kTypeSize = kFiveBits ? 176 : 144;
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i low_mask = _mm256_set1_epi8(0x0f), fifth = _mm256_set1_epi8(16);
    for (int64_t i = 0; i < n / 256; ++i, b += kTypeSize) {
        const float d = half_at(b), dmin = half_at(b + 2);
        for (int c = 0; c < 4; ++c) {
            const __m256i bytes = load32(b + kQs + 32 * c);
            for (int h = 0; h < 2; ++h, dst += 32) {
                const int j = 2 * c + h;
                __m256i q =
                    _mm256_and_si256(h == 0 ? bytes : _mm256_srli_epi16(bytes, 4), low_mask);
                if constexpr (kFiveBits)
                    q = _mm256_or_si256(q,
                                        _mm256_and_si256(bit_set_mask(load32(b + 16), j), fifth));
                store32_k_sub_block(dst, q, b + 4, j, d, dmin);
            }
        }
    }
}

// Q6_K: [ql: 128][qh: 64][scales: 16 x i8][d: f16] (210 bytes). In half h,
// value 32k + l has its low nibble in ql[64h + l + 32 (k & 1)] (high nibble
// for k >= 2) and two high bits at bit 2k of qh[32h + l]; level - 32.
// y = (d * scale) * level.
void dequantize_q6_k_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(0x03);
    const __m256i off = _mm256_set1_epi8(32);
    for (int64_t i = 0; i < n / 256; ++i, b += 210) {
        const float d = half_at(b + 208);
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192);  // [16]
        for (int h = 0; h < 2; ++h, dst += 128) {
            const __m256i a = load32(b + 64 * h), c = load32(b + 64 * h + 32);
            const __m256i hb = load32(b + 128 + 32 * h);
            const __m256i low[4] = {_mm256_and_si256(a, m4), _mm256_and_si256(c, m4),
                                    _mm256_and_si256(_mm256_srli_epi16(a, 4), m4),
                                    _mm256_and_si256(_mm256_srli_epi16(c, 4), m4)};
            for (int k = 0; k < 4; ++k) {
                const __m256i high =
                    _mm256_and_si256(_mm256_srl_epi16(hb, _mm_cvtsi32_si128(2 * k)), m2);
                const __m256i q =
                    _mm256_sub_epi8(_mm256_or_si256(low[k], _mm256_slli_epi16(high, 4)), off);
                const int is = 8 * h + 2 * k;  // scale of the first 16 values
                store16_scaled(dst + 32 * k, _mm256_castsi256_si128(q),
                               _mm256_set1_ps(d * static_cast<float>(sc[is])));
                store16_scaled(dst + 32 * k + 16, _mm256_extracti128_si256(q, 1),
                               _mm256_set1_ps(d * static_cast<float>(sc[is + 1])));
            }
        }
    }
}

// IQ4_XS: [d: f16][scales_h: u16][scales_l: 4][qs: 128] (136 bytes); sub-block
// ib: 6-bit scale (+32), 16 bytes of nibbles (low first). y = (d * scale) * level.
void dequantize_iq4_xs_avx2(const void* src, float* dst, int64_t n) {
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
            const __m256 dl = _mm256_set1_ps(d * static_cast<float>((low | high << 4) - 32));
            const __m128i q = load16(b + 8 + 16 * ib);
            store16_scaled(dst, _mm_shuffle_epi8(table, _mm_and_si128(q, low_mask)), dl);
            store16_scaled(dst + 16,
                           _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low_mask)),
                           dl);
        }
    }
}

// Q8_K: [d: f32][qs: 256 x i8][bsums: 16 x i16] (292 bytes); y = d * q.
void dequantize_q8_k_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 292) {
        float d;
        std::memcpy(&d, b, 4);
        const __m256 dv = _mm256_set1_ps(d);
        for (int k = 0; k < 16; ++k, dst += 16) store16_scaled(dst, load16(b + 4 + 16 * k), dv);
    }
}

// 16 bytes of two 4-bit indices into a 16-entry int8 table -> 32 values
// d * table[index] (low nibbles first, then high nibbles).
inline void store_table_nibbles(float* y, const uint8_t* qs, __m128i table, __m256 d) {
    const __m128i low_mask = _mm_set1_epi8(0x0f);
    const __m128i q = load16(qs);
    store16_scaled(y, _mm_shuffle_epi8(table, _mm_and_si128(q, low_mask)), d);
    store16_scaled(y + 16, _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low_mask)),
                   d);
}

// IQ4_NL: [d: f16][qs: 16]; y = d * level[nibble].
void dequantize_iq4_nl_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i table =
        _mm_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    for (int64_t i = 0; i < n / 32; ++i, b += 18, dst += 32)
        store_table_nibbles(dst, b + 2, table, _mm256_set1_ps(half_at(b)));
}

// MXFP4: [e: E8M0][qs: 16]; y = (2 * E2M1 value) * 2^(e - 128).
void dequantize_mxfp4_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m128i table = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    for (int64_t i = 0; i < n / 32; ++i, b += 17, dst += 32) {
        const uint8_t e = b[0];
        const uint32_t bits =
            e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);  // 2^(e - 128)
        float scale;
        std::memcpy(&scale, &bits, 4);
        store_table_nibbles(dst, b + 1, table, _mm256_set1_ps(scale));
    }
}

// Q2_K: [scales: 16 (scale | min << 4)][qs: 64][d: f16][dmin: f16] (84 bytes);
// sub-blocks of 16: y = (d * scale) * q - dmin * min.
void dequantize_q2_k_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / 256; ++i, b += 84) {
        const float d = half_at(b + 80), dmin = half_at(b + 82);
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 16 + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i q = two_bit_field(bytes, k);
                const __m128i halves[2] = {_mm256_castsi256_si128(q),
                                           _mm256_extracti128_si256(q, 1)};
                for (int s = 0; s < 2; ++s, dst += 16) {
                    const uint8_t sc = b[8 * h + 2 * k + s];
                    store16_affine(dst, halves[s], _mm256_set1_ps(d * static_cast<float>(sc & 15)),
                                   _mm256_set1_ps(dmin * static_cast<float>(sc >> 4)));
                }
            }
        }
    }
}

// Q3_K: [hmask: 32][qs: 64][scales: 12][d: f16] (110 bytes). Level = 2-bit
// field - 4, plus 4 where bit 4h + k of hmask[l] is set; signed 6-bit scales
// (+32) of 16 values. y = (d * scale) * level.
void dequantize_q3_k_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i four = _mm256_set1_epi8(4);
    for (int64_t i = 0; i < n / 256; ++i, b += 110) {
        const float d = half_at(b + 108);
        const uint8_t* s = b + 96;
        const __m256i hmask = load32(b);
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 32 + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i high = _mm256_and_si256(bit_set_mask(hmask, 4 * h + k), four);
                const __m256i q =
                    _mm256_sub_epi8(_mm256_or_si256(two_bit_field(bytes, k), high), four);
                const __m128i halves[2] = {_mm256_castsi256_si128(q),
                                           _mm256_extracti128_si256(q, 1)};
                for (int half = 0; half < 2; ++half, dst += 16) {
                    const int j = 8 * h + 2 * k + half;
                    const int low = (s[j % 8] >> (j < 8 ? 0 : 4)) & 15;
                    const int top = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
                    const float dl = d * static_cast<float>((low | top << 4) - 32);
                    store16_scaled(dst, halves[half], _mm256_set1_ps(dl));
                }
            }
        }
    }
}

// TQ2_0: [qs: 64][d: f16] (66 bytes); y = (code - 1) * d.
void dequantize_tq2_0_avx2(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const uint8_t*>(src);
    const __m256i one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / 256; ++i, b += 66) {
        const __m256 d = _mm256_set1_ps(half_at(b + 64));
        for (int h = 0; h < 2; ++h) {
            const __m256i bytes = load32(b + 32 * h);
            for (int k = 0; k < 4; ++k, dst += 32) {
                const __m256i q = _mm256_sub_epi8(two_bit_field(bytes, k), one);
                store16_scaled(dst, _mm256_castsi256_si128(q), d);
                store16_scaled(dst + 16, _mm256_extracti128_si256(q, 1), d);
            }
        }
    }
}

}  // namespace

DequantizeFn avx2_dequantize(TypeId type) {
    switch (type) {
        case TypeId::F16:
            return dequantize_f16_avx2;
        case TypeId::BF16:
            return dequantize_bf16_avx2;
        case TypeId::Q8_0:
            return dequantize_q8_0_avx2;
        case TypeId::Q4_0:
            return dequantize_legacy_avx2<false, false>;
        case TypeId::Q4_1:
            return dequantize_legacy_avx2<true, false>;
        case TypeId::Q5_0:
            return dequantize_legacy_avx2<false, true>;
        case TypeId::Q5_1:
            return dequantize_legacy_avx2<true, true>;
        case TypeId::Q4_K:
            return dequantize_q4_q5_k_avx2<false>;
        case TypeId::Q5_K:
            return dequantize_q4_q5_k_avx2<true>;
        case TypeId::Q6_K:
            return dequantize_q6_k_avx2;
        case TypeId::IQ4_XS:
            return dequantize_iq4_xs_avx2;
        case TypeId::Q8_K:
            return dequantize_q8_k_avx2;
        case TypeId::IQ4_NL:
            return dequantize_iq4_nl_avx2;
        case TypeId::MXFP4:
            return dequantize_mxfp4_avx2;
        case TypeId::Q2_K:
            return dequantize_q2_k_avx2;
        case TypeId::Q3_K:
            return dequantize_q3_k_avx2;
        case TypeId::TQ2_0:
            return dequantize_tq2_0_avx2;
        default:
            return detail::avx2_dequantize_codebooks(type);
    }
}

}  // namespace ql::quant
