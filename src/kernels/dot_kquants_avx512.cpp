// AVX-512 (VNNI) dot products of the k-quants with Q8_K activations (see
// simd_tables.hpp).
//
// Every kernel works on 64 weights per zmm register: the unsigned levels
// (0..63, offsets left out) are multiplied with the signed int8 activations
// by vpmaddubsw (pairs -> int16; at most 2 * 63 * 128 fits), and vpdpwssd
// multiplies those pairs by the sub-block scale (as int16) and accumulates in
// int32, one accumulator per activation row and super-block. The offsets
// (Q3_K -4, Q6_K -32) and mins (Q2_K, Q4_K, Q5_K) only need the activation
// sums per 16 values, which Q8_K carries (bsums). Per super-block, the int32
// sums are turned to float once and scaled by d * d_act.
//
// The kernels are templates over the number of activation rows (1..4): the
// weights of each super-block are decoded once for all rows.
#include <immintrin.h>

#include "kernels/kquants_simd.hpp"
#include "kernels/prefetch_simd.hpp"
#include "kernels/simd_entry.hpp"
#include "kernels/simd_tables.hpp"

namespace ql::kernels::simd {

namespace {

inline __m512i bcast256(const uint8_t* p) {
    return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

inline __m512i load512(const uint8_t* p) {
    return _mm512_loadu_si512(p);
}

inline __m256i load256(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

inline float half_to_f32(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// Sum of the 16 lanes (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
inline float hsum(__m512 v) {
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0xb1));
    __m128 x = _mm512_maskz_extractf32x4_ps(0xf, v, 0);
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}

inline float hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}

// (a & b) | c
inline __m512i and_or(__m512i a, __m512i b, __m512i c) {
    return _mm512_ternarylogic_epi64(a, b, c, 0xea);
}

// dword lanes (s, s) as two int16 from 16 int16 scales (zero-extended halves).
inline __m512i dup_pairs(__m256i s16) {
    const __m512i s32 = _mm512_cvtepu16_epi32(s16);
    return _mm512_or_si512(s32, _mm512_slli_epi32(s32, 16));
}

// For 16-value sub-blocks (one per 128-bit lane): the scale dwords of the 4
// sub-blocks 4t..4t+3 from dup_pairs() of all 16.
inline __m512i lane_scales(__m512i dup, int t) {
    const __m512i idx = _mm512_set_epi32(4 * t + 3, 4 * t + 3, 4 * t + 3, 4 * t + 3, 4 * t + 2,
                                         4 * t + 2, 4 * t + 2, 4 * t + 2, 4 * t + 1, 4 * t + 1,
                                         4 * t + 1, 4 * t + 1, 4 * t, 4 * t, 4 * t, 4 * t);
    return _mm512_permutexvar_epi32(idx, dup);
}

// For 32-value sub-blocks (one per 256-bit half): sub-blocks 2c, 2c + 1.
inline __m512i half_scales(__m512i dup, int c) {
    const __m512i lo = _mm512_set1_epi32(2 * c), hi = _mm512_set1_epi32(2 * c + 1);
    return _mm512_permutexvar_epi32(_mm512_mask_blend_epi32(0xff00, lo, hi), dup);
}

// Per activation row: the current Q8_K block.
template <int NA>
struct ActRows {
    const uint8_t* row[NA];
    ActRows(const uint8_t* base, size_t stride) {
        for (int a = 0; a < NA; ++a) row[a] = base + static_cast<size_t>(a) * stride;
    }
    const uint8_t* block(int a, int64_t i) const {
        return row[a] + static_cast<size_t>(i) * kQ8KBlockBytes;
    }
};

template <int NA>
struct Accs {
    __m512i isum[NA];
    void zero() {
        for (int a = 0; a < NA; ++a) isum[a] = _mm512_setzero_si512();
    }
    // isum[a] += scale-weighted products of 64 levels q with activations y
    void add(int a, __m512i q, const uint8_t* y, __m512i scales) {
        isum[a] = _mm512_dpwssd_epi32(isum[a], _mm512_maddubs_epi16(q, load512(y)), scales);
    }
};

// ---------------------------------------------------------------- Q4_K / Q5_K
// [d:2][dmin:2][scales:12]([qh:32])[qs:128]; chunk c (64 values) = low
// nibbles of qs[32c..] then high nibbles, fifth bit 2c + h of qh[l].
template <int NA, bool kHigh>
void dot_k4(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr size_t kBytes = kHigh ? 176 : 144;
    const ActRows<NA> rows(acts, stride);
    __m512 accd[NA];
    __m256 accm[NA];
    for (int a = 0; a < NA; ++a) {
        accd[a] = _mm512_setzero_ps();
        accm[a] = _mm256_setzero_ps();
    }
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i m16 = _mm512_set1_epi8(0x10);
    const __m512i nib_shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += kBytes) {
        prefetch_weights<kBytes>(w);
        const ScalesMins sm = unpack_k4_scales(w + 4);
        const __m512i dup =
            dup_pairs(_mm256_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales))));
        const __m128i m8 = _mm_cvtsi64_si128(static_cast<int64_t>(sm.mins));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
        const uint8_t* qs = w + (kHigh ? 48 : 16);
        __m512i qh = _mm512_setzero_si512();
        if constexpr (kHigh) qh = bcast256(w + 16);
        acc.zero();
        for (int c = 0; c < 4; ++c) {
            __m512i q = _mm512_srlv_epi64(bcast256(qs + 32 * c), nib_shift);
            if constexpr (kHigh) {
                // bit 2c (low half) / 2c + 1 (high half) of qh to bit 4
                const __m512i rot = _mm512_set_epi64((68 - 2 * c - 1) % 64, (68 - 2 * c - 1) % 64,
                                                     (68 - 2 * c - 1) % 64, (68 - 2 * c - 1) % 64,
                                                     (68 - 2 * c) % 64, (68 - 2 * c) % 64,
                                                     (68 - 2 * c) % 64, (68 - 2 * c) % 64);
                q = and_or(q, m4, _mm512_and_si512(_mm512_rolv_epi64(qh, rot), m16));
            } else {
                q = _mm512_and_si512(q, m4);
            }
            const __m512i sc = half_scales(dup, c);
            for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 64 * c, sc);
        }
        const float d = half_to_f32(w), dmin = half_to_f32(w + 2);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const float yd = load_f32(y);
            const __m256i msum = _mm256_madd_epi16(load256(y + kQ8KBsums), mins);
            accd[a] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc.isum[a]), _mm512_set1_ps(d * yd), accd[a]);
            accm[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * yd), accm[a]);
        }
    }
    for (int a = 0; a < NA; ++a) {
        out[a] = hsum(accd[a]) - hsum(accm[a]);
    }
}

// ---------------------------------------------------------------------- Q6_K
// [ql:128][qh:64][scales:16 x int8][d:2]; value 128h + 32s + l: nibble of
// ql[64h + 32(s % 2) + l] (high nibble for s >= 2), bits 2s of qh[32h + l];
// level = q - 32.
template <int NA>
void dot_q6k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m512 accd[NA];
    for (int a = 0; a < NA; ++a) accd[a] = _mm512_setzero_ps();
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i m30 = _mm512_set1_epi8(0x30);
    const __m512i shl_a = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);
    const __m512i shr_b = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 210) {
        prefetch_weights<210>(w);
        const __m256i s16 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 192)));
        const __m512i dup = dup_pairs(s16);
        const __m256i off = _mm256_mullo_epi16(s16, _mm256_set1_epi16(-32));
        acc.zero();
        for (int h = 0; h < 2; ++h) {
            const __m512i ql = load512(w + 64 * h);
            const __m512i qh = bcast256(w + 128 + 32 * h);
            const __m512i qa = and_or(ql, m4, _mm512_and_si512(_mm512_sllv_epi64(qh, shl_a), m30));
            const __m512i qb = and_or(_mm512_srli_epi16(ql, 4), m4,
                                      _mm512_and_si512(_mm512_srlv_epi64(qh, shr_b), m30));
            const __m512i sa = lane_scales(dup, 2 * h), sb = lane_scales(dup, 2 * h + 1);
            for (int a = 0; a < NA; ++a) {
                const uint8_t* y = rows.block(a, i) + kQ8KQs + 128 * h;
                acc.add(a, qa, y, sa);
                acc.add(a, qb, y + 64, sb);
            }
        }
        const float d = half_to_f32(w + 208);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const __m256i offs = _mm256_madd_epi16(load256(y + kQ8KBsums), off);
            const __m512i total = _mm512_add_epi32(acc.isum[a], _mm512_zextsi256_si512(offs));
            accd[a] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_set1_ps(d * load_f32(y)),
                                      accd[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(accd[a]);
}

// ---------------------------------------------------------------------- Q2_K
// [scales:16 (scale | min << 4)][qs:64][d:2][dmin:2]; value 128h + 32s + l:
// bits 2s of qs[32h + l].
template <int NA>
void dot_q2k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m512 accd[NA];
    __m256 accm[NA];
    for (int a = 0; a < NA; ++a) {
        accd[a] = _mm512_setzero_ps();
        accm[a] = _mm256_setzero_ps();
    }
    const __m512i m3 = _mm512_set1_epi8(3);
    const __m128i m4x = _mm_set1_epi8(0x0f);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 84) {
        prefetch_weights<84>(w);
        const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
        const __m512i dup = dup_pairs(_mm256_cvtepu8_epi16(_mm_and_si128(sc, m4x)));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), m4x));
        acc.zero();
        for (int t = 0; t < 4; ++t) {
            const int s0 = 2 * (t % 2);
            const __m512i shift = _mm512_set_epi64(2 * s0 + 2, 2 * s0 + 2, 2 * s0 + 2, 2 * s0 + 2,
                                                   2 * s0, 2 * s0, 2 * s0, 2 * s0);
            const __m512i q =
                _mm512_and_si512(_mm512_srlv_epi64(bcast256(w + 16 + 32 * (t / 2)), shift), m3);
            const __m512i scales = lane_scales(dup, t);
            for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 64 * t, scales);
        }
        const float d = half_to_f32(w + 80), dmin = half_to_f32(w + 82);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const float yd = load_f32(y);
            const __m256i msum = _mm256_madd_epi16(load256(y + kQ8KBsums), mins);
            accd[a] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc.isum[a]), _mm512_set1_ps(d * yd), accd[a]);
            accm[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * yd), accm[a]);
        }
    }
    for (int a = 0; a < NA; ++a) {
        out[a] = hsum(accd[a]) - hsum(accm[a]);
    }
}

// ---------------------------------------------------------------------- Q3_K
// [hmask:32][qs:64][scales:12][d:2]; value 128h + 32s + l: bits 2s of
// qs[32h + l], third bit 4h + s of hmask[l]; level = q - 4; scale - 32.
template <int NA>
void dot_q3k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m512 accd[NA];
    for (int a = 0; a < NA; ++a) accd[a] = _mm512_setzero_ps();
    const __m512i m3 = _mm512_set1_epi8(3);
    const __m512i m04 = _mm512_set1_epi8(4);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 110) {
        prefetch_weights<110>(w);
        const Scales16 s = unpack_q3k_scales(w + 96);
        const __m128i s8 = _mm_set_epi64x(static_cast<int64_t>(s.hi), static_cast<int64_t>(s.lo));
        const __m256i s16 = _mm256_sub_epi16(_mm256_cvtepu8_epi16(s8), _mm256_set1_epi16(32));
        const __m512i dup = dup_pairs(s16);
        const __m256i off = _mm256_slli_epi16(_mm256_sub_epi16(_mm256_setzero_si256(), s16), 2);
        const __m512i hm = bcast256(w);
        acc.zero();
        for (int t = 0; t < 4; ++t) {
            const int s0 = 2 * (t % 2);
            const int b = 4 * (t / 2) + s0;  // hmask bit of the low half
            const __m512i shift = _mm512_set_epi64(2 * s0 + 2, 2 * s0 + 2, 2 * s0 + 2, 2 * s0 + 2,
                                                   2 * s0, 2 * s0, 2 * s0, 2 * s0);
            const __m512i rot =
                _mm512_set_epi64((65 - b) % 64, (65 - b) % 64, (65 - b) % 64, (65 - b) % 64,
                                 (66 - b) % 64, (66 - b) % 64, (66 - b) % 64, (66 - b) % 64);
            const __m512i low = _mm512_srlv_epi64(bcast256(w + 32 + 32 * (t / 2)), shift);
            const __m512i q = and_or(low, m3, _mm512_and_si512(_mm512_rolv_epi64(hm, rot), m04));
            const __m512i scales = lane_scales(dup, t);
            for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 64 * t, scales);
        }
        const float d = half_to_f32(w + 108);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const __m256i offs = _mm256_madd_epi16(load256(y + kQ8KBsums), off);
            const __m512i total = _mm512_add_epi32(acc.isum[a], _mm512_zextsi256_si512(offs));
            accd[a] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_set1_ps(d * load_f32(y)),
                                      accd[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(accd[a]);
}

// ------------------------------------------------------------------ plumbing
QL_SIMD_KERNEL(Q4K, (dot_k4<NA, false>))
QL_SIMD_KERNEL(Q5K, (dot_k4<NA, true>))
QL_SIMD_KERNEL(Q6K, dot_q6k<NA>)
QL_SIMD_KERNEL(Q2K, dot_q2k<NA>)
QL_SIMD_KERNEL(Q3K, dot_q3k<NA>)

}  // namespace

void register_kquants_avx512(KernelTable& table) {
    set_entry<Q4K>(table, TypeId::Q4_K);
    set_entry<Q5K>(table, TypeId::Q5_K);
    set_entry<Q6K>(table, TypeId::Q6_K);
    set_entry<Q2K>(table, TypeId::Q2_K);
    set_entry<Q3K>(table, TypeId::Q3_K);
}

}  // namespace ql::kernels::simd
