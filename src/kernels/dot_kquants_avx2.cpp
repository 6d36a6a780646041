// AVX2 dot products of the k-quants with Q8_K activations (see
// simd_tables.hpp).
//
// 32 weights per ymm register: the unsigned levels (0..63, offsets left out)
// times the signed int8 activations by vpmaddubsw (pairs -> int16), then
// vpmaddwd by the sub-block scale (int16) and an int32 accumulator per
// activation row and super-block. Offsets (Q3_K -4, Q6_K -32) and mins (Q2_K,
// Q4_K, Q5_K) come from the activation sums per 16 values (Q8_K bsums). Per
// super-block the int32 sums become float once, scaled by d * d_act.
//
// Templates over the number of activation rows (1..4): the weights of each
// super-block are decoded once for all rows.
#include <immintrin.h>

#include "kernels/kquants_simd.hpp"
#include "kernels/prefetch_simd.hpp"
#include "kernels/simd_entry.hpp"
#include "kernels/simd_tables.hpp"

namespace ql::kernels::simd {

namespace {

inline __m256i load256(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

inline float half_to_f32(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

inline float hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}

// Bit `from` of every byte moved to bit `to` (other bits: garbage).
inline __m256i move_bit(__m256i v, int from, int to) {
    if (from < to) return _mm256_slli_epi16(v, to - from);
    if (from > to) return _mm256_srli_epi16(v, from - to);
    return v;
}

// Scale pattern of 32-value sub-block j from 8 int16 scales in both lanes.
inline __m256i scale32(__m256i s8x2, int j) {
    return _mm256_shuffle_epi8(
        s8x2, _mm256_set1_epi16(static_cast<int16_t>(((2 * j + 1) << 8) | (2 * j))));
}

// 16-value sub-blocks: scales of the register of values 32t..32t+31 (sub-blocks
// 2t, 2t + 1, one per lane); lo / hi hold scales 0..7 / 8..15 in both lanes.
struct Scales16x2 {
    __m256i lo, hi;
    explicit Scales16x2(__m256i s16)
        : lo(_mm256_permute2x128_si256(s16, s16, 0x00)),
          hi(_mm256_permute2x128_si256(s16, s16, 0x11)) {}
    __m256i get(int t) const {
        const int k = (2 * t) % 8;
        const __m256i mask =
            _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(((2 * k + 3) << 8) | (2 * k + 2))),
                             _mm_set1_epi16(static_cast<int16_t>(((2 * k + 1) << 8) | (2 * k))));
        return _mm256_shuffle_epi8(t < 4 ? lo : hi, mask);
    }
};

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
    __m256i isum[NA];
    void zero() {
        for (int a = 0; a < NA; ++a) isum[a] = _mm256_setzero_si256();
    }
    void add(int a, __m256i q, const uint8_t* y, __m256i scales) {
        isum[a] = _mm256_add_epi32(isum[a],
                                   _mm256_madd_epi16(_mm256_maddubs_epi16(q, load256(y)), scales));
    }
};

// ---------------------------------------------------------------- Q4_K / Q5_K
template <int NA, bool kHigh>
void dot_k4(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr size_t kBytes = kHigh ? 176 : 144;
    const ActRows<NA> rows(acts, stride);
    __m256 accd[NA];  // d-scaled sums minus dmin-scaled mins
    for (int a = 0; a < NA; ++a) accd[a] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m16 = _mm256_set1_epi8(0x10);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += kBytes) {
        prefetch_weights<kBytes>(w);
        const ScalesMins sm = unpack_k4_scales(w + 4);
        const __m128i s8 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(sm.scales)));
        const __m256i s8x2 = _mm256_set_m128i(s8, s8);
        const __m128i m8 = _mm_cvtsi64_si128(static_cast<int64_t>(sm.mins));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
        const uint8_t* qs = w + (kHigh ? 48 : 16);
        __m256i qh = _mm256_setzero_si256();
        if constexpr (kHigh) qh = load256(w + 16);
        acc.zero();
        for (int c = 0; c < 4; ++c) {
            const __m256i raw = load256(qs + 32 * c);
            __m256i lo = _mm256_and_si256(raw, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
            if constexpr (kHigh) {
                lo = _mm256_or_si256(lo, _mm256_and_si256(move_bit(qh, 2 * c, 4), m16));
                hi = _mm256_or_si256(hi, _mm256_and_si256(move_bit(qh, 2 * c + 1, 4), m16));
            }
            const __m256i slo = scale32(s8x2, 2 * c), shi = scale32(s8x2, 2 * c + 1);
            for (int a = 0; a < NA; ++a) {
                const uint8_t* y = rows.block(a, i) + kQ8KQs + 64 * c;
                acc.add(a, lo, y, slo);
                acc.add(a, hi, y + 32, shi);
            }
        }
        const float d = half_to_f32(w), dmin = half_to_f32(w + 2);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const float yd = load_f32(y);
            const __m256i msum = _mm256_madd_epi16(load256(y + kQ8KBsums), mins);
            accd[a] =
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc.isum[a]), _mm256_set1_ps(d * yd), accd[a]);
            accd[a] =
                _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * yd), accd[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(accd[a]);
}

// ---------------------------------------------------------------------- Q6_K
template <int NA>
void dot_q6k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m256 accd[NA];
    for (int a = 0; a < NA; ++a) accd[a] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m30 = _mm256_set1_epi8(0x30);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 210) {
        prefetch_weights<210>(w);
        const __m256i s16 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 192)));
        const Scales16x2 scales(s16);
        const __m256i off = _mm256_mullo_epi16(s16, _mm256_set1_epi16(-32));
        acc.zero();
        for (int h = 0; h < 2; ++h) {
            for (int s = 0; s < 4; ++s) {
                // reloaded per register (L1 hits) to keep registers for 4 rows
                const __m256i ql = load256(w + 64 * h + 32 * (s % 2));
                const __m256i qh = load256(w + 128 + 32 * h);
                const __m256i nib = s < 2 ? ql : _mm256_srli_epi16(ql, 4);
                const __m256i q = _mm256_or_si256(_mm256_and_si256(nib, m4),
                                                  _mm256_and_si256(move_bit(qh, 2 * s, 4), m30));
                const int t = 4 * h + s;
                const __m256i sc = scales.get(t);
                for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 32 * t, sc);
            }
        }
        const float d = half_to_f32(w + 208);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const __m256i total =
                _mm256_add_epi32(acc.isum[a], _mm256_madd_epi16(load256(y + kQ8KBsums), off));
            accd[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * load_f32(y)),
                                      accd[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(accd[a]);
}

// ---------------------------------------------------------------------- Q2_K
template <int NA>
void dot_q2k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m256 accd[NA];  // d-scaled sums minus dmin-scaled mins
    for (int a = 0; a < NA; ++a) accd[a] = _mm256_setzero_ps();
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m128i m4x = _mm_set1_epi8(0x0f);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 84) {
        prefetch_weights<84>(w);
        const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
        const Scales16x2 scales(_mm256_cvtepu8_epi16(_mm_and_si128(sc, m4x)));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), m4x));
        acc.zero();
        for (int h = 0; h < 2; ++h) {
            const __m256i raw = load256(w + 16 + 32 * h);
            for (int s = 0; s < 4; ++s) {
                const __m256i q = _mm256_and_si256(move_bit(raw, 2 * s, 0), m3);
                const int t = 4 * h + s;
                const __m256i sct = scales.get(t);
                for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 32 * t, sct);
            }
        }
        const float d = half_to_f32(w + 80), dmin = half_to_f32(w + 82);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const float yd = load_f32(y);
            const __m256i msum = _mm256_madd_epi16(load256(y + kQ8KBsums), mins);
            accd[a] =
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc.isum[a]), _mm256_set1_ps(d * yd), accd[a]);
            accd[a] =
                _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(dmin * yd), accd[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(accd[a]);
}

// ---------------------------------------------------------------------- Q3_K
template <int NA>
void dot_q3k(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const ActRows<NA> rows(acts, stride);
    __m256 accd[NA];
    for (int a = 0; a < NA; ++a) accd[a] = _mm256_setzero_ps();
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i m04 = _mm256_set1_epi8(4);
    Accs<NA> acc;
    for (int64_t i = 0; i < n / kSuperBlock; ++i, w += 110) {
        prefetch_weights<110>(w);
        const Scales16 s = unpack_q3k_scales(w + 96);
        const __m128i s8 = _mm_set_epi64x(static_cast<int64_t>(s.hi), static_cast<int64_t>(s.lo));
        const __m256i s16 = _mm256_sub_epi16(_mm256_cvtepu8_epi16(s8), _mm256_set1_epi16(32));
        const Scales16x2 scales(s16);
        const __m256i off = _mm256_slli_epi16(_mm256_sub_epi16(_mm256_setzero_si256(), s16), 2);
        const __m256i hm = load256(w);
        acc.zero();
        for (int h = 0; h < 2; ++h) {
            const __m256i raw = load256(w + 32 + 32 * h);
            for (int s2 = 0; s2 < 4; ++s2) {
                const __m256i low = _mm256_and_si256(move_bit(raw, 2 * s2, 0), m3);
                const __m256i q =
                    _mm256_or_si256(low, _mm256_and_si256(move_bit(hm, 4 * h + s2, 2), m04));
                const int t = 4 * h + s2;
                const __m256i sct = scales.get(t);
                for (int a = 0; a < NA; ++a) acc.add(a, q, rows.block(a, i) + kQ8KQs + 32 * t, sct);
            }
        }
        const float d = half_to_f32(w + 108);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = rows.block(a, i);
            const __m256i total =
                _mm256_add_epi32(acc.isum[a], _mm256_madd_epi16(load256(y + kQ8KBsums), off));
            accd[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * load_f32(y)),
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

void register_kquants_avx2(KernelTable& table) {
    set_entry<Q4K>(table, TypeId::Q4_K);
    set_entry<Q5K>(table, TypeId::Q5_K);
    set_entry<Q6K>(table, TypeId::Q6_K);
    set_entry<Q2K>(table, TypeId::Q2_K);
    set_entry<Q3K>(table, TypeId::Q3_K);
}

}  // namespace ql::kernels::simd
