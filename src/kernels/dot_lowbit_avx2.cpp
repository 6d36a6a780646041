// avx2 dot products for the lowbit family (see simd_tables.hpp): TQ2_0,
// TQ1_0, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ1_M against Q8_K activations.
//
// Same scheme as dot_lowbit_avx512.cpp with 32-value chunks: each weight
// super-block is decoded once into eight ymm of unsigned bytes (plus sign
// bytes for vpsignb and int16 scale lanes), then dotted with each of the
// 1..4 activation rows (vpmaddubsw, vpmaddwd by the scales).
//   - TQ: codes {0,1,2}, minus the activation sum (bsums) since w = code - 1;
//   - IQ2/IQ3: grid magnitudes, activations sign-flipped by vpsignb with the
//     8 sign bits per group (the 8th is the parity of the 7 stored ones);
//   - IQ1: u = 8 (grid + 1) + 1 + delta so that 8 w = u - 9, the -9 Σa term
//     from bsums.
#include <immintrin.h>

#include <cstring>

#include "kernels/prefetch_simd.hpp"
#include "kernels/simd_entry.hpp"
#include "kernels/simd_tables.hpp"
#include "quant/iq1_grids.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq3_grids.hpp"

namespace ql::kernels::simd {

namespace {

constexpr int kQK = 256;
constexpr size_t kActBytes = 292;  // Q8_K: d, qs[256], bsums[16]

inline uint64_t ld64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint32_t ld32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint16_t ld16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
inline float half(const uint8_t* p) {
    return _cvtsh_ss(ld16(p));
}
inline float act_d(const uint8_t* ab) {
    float d;
    std::memcpy(&d, ab, 4);
    return d;
}
inline __m256i ldu(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Four groups of 7 sign bits (bits 7k..7k+6) -> 32 sign bits, byte k's bit 7
// making its count of set bits even.
inline uint32_t even_signs(uint32_t bits7) {
    const uint32_t s = _pdep_u32(bits7, 0x7f7f7f7fU);
    uint32_t p = s ^ (s >> 4);
    p ^= p >> 2;
    p ^= p >> 1;
    return s | ((p & 0x01010101U) << 7);
}

// 32 sign bits -> bytes -1 (bit set) / +1, operand of vpsignb.
inline __m256i sign_bytes(uint32_t bits) {
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(bits)),
        _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    return _mm256_or_si256(set, _mm256_set1_epi8(1));
}

// Scale bytes (<= 31) in both 128-bit lanes; chunk c's int16 lanes take
// byte 2c (lanes 0..7) and 2c+1 (lanes 8..15) for per-16 scales, byte c for
// per-32 scales.
inline __m256i scale_words(__m256i bytes2, int lo, int hi) {
    const auto l = static_cast<long long>(0x8000800080008000ULL | (0x0001000100010001ULL * lo));
    const auto h = static_cast<long long>(0x8000800080008000ULL | (0x0001000100010001ULL * hi));
    return _mm256_shuffle_epi8(bytes2, _mm256_set_epi64x(h, h, l, l));
}

template <int NA>
struct Acts {
    const uint8_t* row[NA];
    Acts(const void* acts, size_t stride) {
        for (int r = 0; r < NA; ++r) row[r] = static_cast<const uint8_t*>(acts) + r * stride;
    }
    const uint8_t* block(int r, int64_t i) const { return row[r] + i * kActBytes; }
};

template <int NA>
inline void store(const __m256 (&acc)[NA], float* out) {
    for (int r = 0; r < NA; ++r) out[r] = hsum(acc[r]);
}

// ------------------------------------------------------------------ TQ --
// Codes {0,1,2} in eight ymm; Σ (code - 1) a.
template <int NA>
inline void dot_codes(const __m256i (&c)[8], const Acts<NA>& A, int64_t i, float dw,
                      __m256 (&acc)[NA]) {
    for (int r = 0; r < NA; ++r) {
        const uint8_t* ab = A.block(r, i);
        __m256i s = _mm256_sub_epi16(_mm256_setzero_si256(), ldu(ab + 260));
        for (int k = 0; k < 8; ++k)
            s = _mm256_add_epi16(s, _mm256_maddubs_epi16(c[k], ldu(ab + 4 + 32 * k)));
        const __m256i s32 = _mm256_madd_epi16(s, _mm256_set1_epi16(1));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32), _mm256_set1_ps(dw * act_d(ab)), acc[r]);
    }
}

// TQ2_0 [qs:64][d:2]; value 128h + 32s + m is bits 2s..2s+1 of qs[32h + m].
template <int NA>
void tq2_0_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    const __m256i m3 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 66) {
        prefetch_weights<66>(wb);
        __m256i c[8];
        for (int h = 0; h < 2; ++h) {
            const __m256i x = ldu(wb + 32 * h);
            c[4 * h + 0] = _mm256_and_si256(x, m3);
            c[4 * h + 1] = _mm256_and_si256(_mm256_srli_epi16(x, 2), m3);
            c[4 * h + 2] = _mm256_and_si256(_mm256_srli_epi16(x, 4), m3);
            c[4 * h + 3] = _mm256_and_si256(_mm256_srli_epi16(x, 6), m3);
        }
        dot_codes(c, A, i, half(wb + 64), acc);
    }
    store(acc, out);
}

// Trit ((uint8)m * 3) >> 8 of every byte: [m >= 86] + [m >= 171].
inline __m256i trits(__m256i m) {
    const __m256i x = _mm256_xor_si256(m, _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i k1 = _mm256_cmpgt_epi8(x, _mm256_set1_epi8(85 - 128));
    const __m256i k2 = _mm256_cmpgt_epi8(x, _mm256_set1_epi8(170 - 128));
    return _mm256_sub_epi8(_mm256_sub_epi8(_mm256_setzero_si256(), k1), k2);
}
inline __m256i times3(__m256i v) {
    return _mm256_add_epi8(v, _mm256_add_epi8(v, v));
}
inline __m128i times3(__m128i v) {
    return _mm_add_epi8(v, _mm_add_epi8(v, v));
}

// TQ1_0 [qs:48][qh:4][d:2]; trit t of byte b is ((uint8)(b * 3^t) * 3) >> 8.
// Values: 32t + m from qs[m]; 160 + 16t + m from qs[32 + m]; 240 + 4t + m
// from qh[m].
template <int NA>
void tq1_0_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    const __m128i pow_lo = _mm_set_epi16(3, 3, 3, 3, 1, 1, 1, 1);
    const __m128i pow_hi = _mm_set_epi16(27, 27, 27, 27, 9, 9, 9, 9);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 54) {
        prefetch_weights<54>(wb);
        __m256i c[8];
        __m256i x = ldu(wb);
        for (int t = 0; t < 5; ++t) {
            c[t] = trits(x);
            if (t < 4) x = times3(x);
        }
        const __m128i y0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 32));
        const __m128i y1 = times3(y0), y2 = times3(y1), y3 = times3(y2), y4 = times3(y3);
        const __m128i q = _mm_cvtepu8_epi16(_mm_set1_epi32(static_cast<int>(ld32(wb + 48))));
        const __m128i m255 = _mm_set1_epi16(255);
        const __m128i hq = _mm_packus_epi16(_mm_and_si128(_mm_mullo_epi16(q, pow_lo), m255),
                                            _mm_and_si128(_mm_mullo_epi16(q, pow_hi), m255));
        c[5] = trits(_mm256_inserti128_si256(_mm256_castsi128_si256(y0), y1, 1));
        c[6] = trits(_mm256_inserti128_si256(_mm256_castsi128_si256(y2), y3, 1));
        c[7] = trits(_mm256_inserti128_si256(_mm256_castsi128_si256(y4), hq, 1));
        dot_codes(c, A, i, half(wb + 52), acc);
    }
    store(acc, out);
}

// ------------------------------------------------- sign-coded IQ2 / IQ3 --
struct SignedBlock {
    __m256i mag[8];
    __m256i sign[8];
    __m256i scale[8];
};

template <int NA>
inline void dot_signed(const SignedBlock& b, const Acts<NA>& A, int64_t i, float dw,
                       __m256 (&acc)[NA]) {
    for (int r = 0; r < NA; ++r) {
        const uint8_t* ab = A.block(r, i);
        __m256i s = _mm256_setzero_si256();
        for (int k = 0; k < 8; ++k) {
            const __m256i a = _mm256_sign_epi8(ldu(ab + 4 + 32 * k), b.sign[k]);
            s = _mm256_add_epi32(s,
                                 _mm256_madd_epi16(_mm256_maddubs_epi16(b.mag[k], a), b.scale[k]));
        }
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * act_d(ab)), acc[r]);
    }
}

// 8 per-32 scale bytes (2 s + 1) in both lanes.
inline __m256i bytes_both_lanes(__m128i v) {
    return _mm256_broadcastsi128_si256(v);
}

// IQ2_XXS [d:2][qs:64]: per 32 values 4 grid bytes then u32 aux = 4 x 7 sign
// bits | scale << 28.
template <int NA>
void iq2_xxs_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    const uint64_t* grid = quant::iq2::kIq2xxsGrid;
    for (int64_t i = 0; i < n / kQK; ++i, wb += 66) {
        prefetch_weights<66>(wb);
        SignedBlock b;
        alignas(16) uint8_t sc[16] = {};
        for (int g = 0; g < 8; ++g) {
            const uint8_t* p = wb + 2 + 8 * g;
            const uint32_t aux = ld32(p + 4);
            b.mag[g] = _mm256_set_epi64x(
                static_cast<long long>(grid[p[3]]), static_cast<long long>(grid[p[2]]),
                static_cast<long long>(grid[p[1]]), static_cast<long long>(grid[p[0]]));
            b.sign[g] = sign_bytes(even_signs(aux & 0x0fffffff));
            sc[g] = static_cast<uint8_t>(2 * (aux >> 28) + 1);
        }
        const __m256i sb = bytes_both_lanes(_mm_load_si128(reinterpret_cast<const __m128i*>(sc)));
        for (int g = 0; g < 8; ++g) b.scale[g] = scale_words(sb, g, g);
        dot_signed(b, A, i, 0.125f * half(wb), acc);
    }
    store(acc, out);
}

// IQ2_XS [d:2][qs:32 x u16][scales:8]: u16 = 9-bit grid index | 7 sign bits << 9;
// a 4-bit scale per 16 values.
template <int NA>
void iq2_xs_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    const uint64_t* grid = quant::iq2::kIq2xsGrid;
    for (int64_t i = 0; i < n / kQK; ++i, wb += 74) {
        prefetch_weights<74>(wb);
        SignedBlock b;
        const __m128i sraw = _mm_cvtsi64_si128(static_cast<long long>(ld64(wb + 66)));
        const __m128i nib =
            _mm_and_si128(_mm_unpacklo_epi8(sraw, _mm_srli_epi16(sraw, 4)), _mm_set1_epi8(15));
        const __m256i sb = bytes_both_lanes(_mm_add_epi8(_mm_add_epi8(nib, nib), _mm_set1_epi8(1)));
        for (int g = 0; g < 8; ++g) {
            const uint64_t codes = ld64(wb + 2 + 8 * g);
            b.mag[g] = _mm256_set_epi64x(static_cast<long long>(grid[(codes >> 48) & 511]),
                                         static_cast<long long>(grid[(codes >> 32) & 511]),
                                         static_cast<long long>(grid[(codes >> 16) & 511]),
                                         static_cast<long long>(grid[codes & 511]));
            b.sign[g] = sign_bytes(
                even_signs(static_cast<uint32_t>(_pext_u64(codes, 0xfe00fe00fe00fe00ULL))));
            b.scale[g] = scale_words(sb, 2 * g, 2 * g + 1);
        }
        dot_signed(b, A, i, 0.125f * half(wb), acc);
    }
    store(acc, out);
}

// IQ3_XXS [d:2][grid:64][aux:8 x u32]: 8 grid indices (4 values each) per 32
// values; aux as IQ2_XXS.
template <int NA>
void iq3_xxs_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    const auto* grid = reinterpret_cast<const int*>(quant::kIq3XxsGrid.data());
    for (int64_t i = 0; i < n / kQK; ++i, wb += 98) {
        prefetch_weights<98>(wb);
        SignedBlock b;
        alignas(16) uint8_t sc[16] = {};
        for (int g = 0; g < 8; ++g)
            sc[g] = static_cast<uint8_t>(2 * (ld32(wb + 66 + 4 * g) >> 28) + 1);
        const __m256i sb = bytes_both_lanes(_mm_load_si128(reinterpret_cast<const __m128i*>(sc)));
        for (int g = 0; g < 8; ++g) {
            const __m256i vi = _mm256_cvtepu8_epi32(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(wb + 2 + 8 * g)));
            b.mag[g] = _mm256_i32gather_epi32(grid, vi, 4);
            b.sign[g] = sign_bytes(even_signs(ld32(wb + 66 + 4 * g) & 0x0fffffff));
            b.scale[g] = scale_words(sb, g, g);
        }
        dot_signed(b, A, i, 0.25f * half(wb), acc);
    }
    store(acc, out);
}

// --------------------------------------------------------------- IQ1 ------
struct Iq1Block {
    __m256i u[8];
    __m256i scale[8];
    __m256i bcoef;  // int16: -9 * scale of values 16j..16j+15
};

template <int NA>
inline void dot_iq1(const Iq1Block& b, const Acts<NA>& A, int64_t i, float dw, __m256 (&acc)[NA]) {
    for (int r = 0; r < NA; ++r) {
        const uint8_t* ab = A.block(r, i);
        __m256i s = _mm256_madd_epi16(ldu(ab + 260), b.bcoef);
        for (int k = 0; k < 8; ++k)
            s = _mm256_add_epi32(
                s,
                _mm256_madd_epi16(_mm256_maddubs_epi16(b.u[k], ldu(ab + 4 + 32 * k)), b.scale[k]));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(dw * act_d(ab)), acc[r]);
    }
}

// Four grid entries -> 8 (g + 1) + (delta > 0 ? 2 : 0) per byte; bit l of
// `pos` says entry l has delta +1.
inline __m256i iq1_entries(int i0, int i1, int i2, int i3, int pos) {
    const uint64_t* grid = reinterpret_cast<const uint64_t*>(quant::kIq1Grid.data());
    const __m256i g =
        _mm256_set_epi64x(static_cast<long long>(grid[i3]), static_cast<long long>(grid[i2]),
                          static_cast<long long>(grid[i1]), static_cast<long long>(grid[i0]));
    const __m256i u = _mm256_slli_epi16(_mm256_add_epi8(g, _mm256_set1_epi8(1)), 3);
    constexpr long long kTwo = 0x0202020202020202LL;
    const __m256i d = _mm256_set_epi64x((pos & 8) ? kTwo : 0, (pos & 4) ? kTwo : 0,
                                        (pos & 2) ? kTwo : 0, (pos & 1) ? kTwo : 0);
    return _mm256_add_epi8(u, d);
}

// IQ1_S [d:2][qs:32][qh:8 x u16]: qh = 4 x 3 high index bits | scale << 12 |
// delta sign << 15, per 32 values.
template <int NA>
void iq1_s_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / kQK; ++i, wb += 50) {
        prefetch_weights<50>(wb);
        Iq1Block b;
        const __m128i qh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 34));
        const __m128i s16 = _mm_add_epi16(
            _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh, 12), _mm_set1_epi16(7)), 1),
            _mm_set1_epi16(1));
        const __m256i sb = bytes_both_lanes(_mm_packus_epi16(s16, s16));  // scale g in byte g
        // bsum j belongs to group j / 2
        b.bcoef = _mm256_mullo_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(
                                         _mm_packus_epi16(s16, s16), _mm_packus_epi16(s16, s16))),
                                     _mm256_set1_epi16(-9));
        for (int g = 0; g < 8; ++g) {
            const uint8_t* q = wb + 2 + 4 * g;
            const int h = ld16(wb + 34 + 2 * g);
            const bool pos = (h & 0x8000) == 0;
            b.u[g] = iq1_entries(q[0] | ((h & 7) << 8), q[1] | (((h >> 3) & 7) << 8),
                                 q[2] | (((h >> 6) & 7) << 8), q[3] | (((h >> 9) & 7) << 8),
                                 pos ? 15 : 0);
            b.scale[g] = scale_words(sb, g, g);
        }
        dot_iq1(b, A, i, 0.125f * half(wb), acc);
    }
    store(acc, out);
}

// IQ1_M [qs:32][qh:16][scales:4 x u16]: qh nibble per 8 values = 3 high index
// bits | delta sign << 3; 3-bit scales per 16 values; the fp16 super-scale is
// the top nibbles of the 4 scale words.
template <int NA>
void iq1_m_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m256 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / kQK; ++i, wb += 56) {
        prefetch_weights<56>(wb);
        Iq1Block b;
        const uint64_t scw = ld64(wb + 48);
        const auto d_bits = static_cast<uint16_t>(((scw >> 12) & 0x000f) | ((scw >> 24) & 0x00f0) |
                                                  ((scw >> 36) & 0x0f00) | ((scw >> 48) & 0xf000));
        alignas(16) uint8_t sc[16];
        for (int s = 0; s < 16; ++s)
            sc[s] = static_cast<uint8_t>(2 * ((scw >> (16 * (s / 4) + 3 * (s % 4))) & 7) + 1);
        const __m128i sv = _mm_load_si128(reinterpret_cast<const __m128i*>(sc));
        const __m256i sb = bytes_both_lanes(sv);
        b.bcoef = _mm256_mullo_epi16(_mm256_cvtepu8_epi16(sv), _mm256_set1_epi16(-9));
        for (int g = 0; g < 8; ++g) {
            const uint8_t* q = wb + 4 * g;
            const int h0 = wb[32 + 2 * g], h1 = wb[33 + 2 * g];
            // delta +1 where bit 3 of the entry's nibble is clear
            const int pos = ((h0 & 0x08) ? 0 : 1) | ((h0 & 0x80) ? 0 : 2) | ((h1 & 0x08) ? 0 : 4) |
                            ((h1 & 0x80) ? 0 : 8);
            b.u[g] = iq1_entries(q[0] | ((h0 & 7) << 8), q[1] | (((h0 >> 4) & 7) << 8),
                                 q[2] | ((h1 & 7) << 8), q[3] | (((h1 >> 4) & 7) << 8), pos);
            b.scale[g] = scale_words(sb, 2 * g, 2 * g + 1);
        }
        dot_iq1(b, A, i, 0.125f * _cvtsh_ss(d_bits), acc);
    }
    store(acc, out);
}

// ------------------------------------------------------------ plumbing --
// Each kernel as K::run<NA> for simd_entry.hpp.
QL_SIMD_KERNEL(tq2_0_kernel, tq2_0_impl<NA>)
QL_SIMD_KERNEL(tq1_0_kernel, tq1_0_impl<NA>)
QL_SIMD_KERNEL(iq2_xxs_kernel, iq2_xxs_impl<NA>)
QL_SIMD_KERNEL(iq2_xs_kernel, iq2_xs_impl<NA>)
QL_SIMD_KERNEL(iq3_xxs_kernel, iq3_xxs_impl<NA>)
QL_SIMD_KERNEL(iq1_s_kernel, iq1_s_impl<NA>)
QL_SIMD_KERNEL(iq1_m_kernel, iq1_m_impl<NA>)

}  // namespace

void register_lowbit_avx2(KernelTable& table) {
    set_entry<tq2_0_kernel>(table, TypeId::TQ2_0);
    set_entry<tq1_0_kernel>(table, TypeId::TQ1_0);
    set_entry<iq2_xxs_kernel>(table, TypeId::IQ2_XXS);
    set_entry<iq2_xs_kernel>(table, TypeId::IQ2_XS);
    set_entry<iq3_xxs_kernel>(table, TypeId::IQ3_XXS);
    set_entry<iq1_s_kernel>(table, TypeId::IQ1_S);
    set_entry<iq1_m_kernel>(table, TypeId::IQ1_M);
}

}  // namespace ql::kernels::simd
