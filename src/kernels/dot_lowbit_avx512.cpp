// avx512 dot products for the lowbit family (see simd_tables.hpp): TQ2_0,
// TQ1_0, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ1_M against Q8_K activations.
//
// Every kernel decodes one weight super-block (256 values) into four zmm of
// unsigned bytes (plus, for the sign-coded grids, four 64-bit sign masks and
// the sub-block scales as int16 lanes), then dots that with each of the
// 1..4 activation rows:
//   - TQ: codes {0,1,2} straight into vpdpbusd, minus the activation sum
//     (from bsums) since the weight is code - 1;
//   - IQ2/IQ3 grids: magnitudes gathered from the shared grid tables, signs
//     applied to the activations with a masked negation (the 8th sign bit of
//     each group is the parity of the 7 stored ones, computed with BMI2),
//     vpmaddubsw then vpdpwssd with the odd integer scales;
//   - IQ1: the value grid + delta/8 becomes the unsigned u = 8(grid+1)+1+delta
//     so that 8 * w = u - 9; the -9 * Σa term comes from bsums.
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

// Eight groups of 7 sign bits (bits 7k..7k+6 of `bits7`) -> 64 sign bits,
// byte k's bit 7 set so that the byte has an even number of set bits.
inline uint64_t even_signs(uint64_t bits7) {
    uint64_t s = _pdep_u64(bits7, 0x7f7f7f7f7f7f7f7fULL);
    uint64_t p = s ^ (s >> 4);
    p ^= p >> 2;
    p ^= p >> 1;
    return s | ((p & 0x0101010101010101ULL) << 7);
}

// Activation rows of one call.
template <int NA>
struct Acts {
    const uint8_t* row[NA];
    Acts(const void* acts, size_t stride) {
        for (int r = 0; r < NA; ++r) row[r] = static_cast<const uint8_t*>(acts) + r * stride;
    }
    const uint8_t* block(int r, int64_t i) const { return row[r] + i * kActBytes; }
};

// Sum of the 16 lanes (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
inline float hsum(__m512 v) {
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0xb1));
    __m128 s = _mm512_maskz_extractf32x4_ps(0xf, v, 0);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <int NA>
inline void store(const __m512 (&acc)[NA], float* out) {
    for (int r = 0; r < NA; ++r) out[r] = hsum(acc[r]);
}

// Σ over 64-value chunks of unsigned weights w and (optionally sign-flipped)
// activations, weighted per 16 values by int16 scales: vpmaddubsw + vpdpwssd.
inline __m512i chunk_scaled(__m512i acc, __m512i w, __m512i a, __m512i scales) {
    return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(w, a), scales);
}

// ---------------------------------------------------------------- TQ2_0 --
// [qs:64][d:2]; value 128h + 32s + m is bits 2s..2s+1 of qs[32h + m].
template <int NA>
void tq2_0_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    const __m512i sh01 = _mm512_maskz_mov_epi16(0xffff0000U, _mm512_set1_epi16(2));
    const __m512i sh23 = _mm512_add_epi16(sh01, _mm512_set1_epi16(4));
    const __m512i m3 = _mm512_set1_epi8(3);
    const __m512i minus1 = _mm512_set1_epi16(-1);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 66) {
        prefetch_weights<66>(wb);
        const __m512i x =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb)));
        const __m512i y =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 32)));
        const __m512i c[4] = {
            _mm512_and_si512(_mm512_srlv_epi16(x, sh01), m3),
            _mm512_and_si512(_mm512_srlv_epi16(x, sh23), m3),
            _mm512_and_si512(_mm512_srlv_epi16(y, sh01), m3),
            _mm512_and_si512(_mm512_srlv_epi16(y, sh23), m3),
        };
        const float dw = half(wb + 64);
        for (int r = 0; r < NA; ++r) {
            const uint8_t* ab = A.block(r, i);
            // -Σa from bsums, in one vpdpwssd
            __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(),
                                            _mm512_zextsi256_si512(_mm256_loadu_si256(
                                                reinterpret_cast<const __m256i*>(ab + 260))),
                                            minus1);
            for (int k = 0; k < 4; ++k)
                s = _mm512_dpbusd_epi32(s, c[k], _mm512_loadu_si512(ab + 4 + 64 * k));
            float da;
            std::memcpy(&da, ab, 4);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(dw * da), acc[r]);
        }
    }
    store(acc, out);
}

// ---------------------------------------------------------------- TQ1_0 --
// [qs:48][qh:4][d:2]; trit t of byte b is ((uint8)(b * 3^t) * 3) >> 8.
// Value p comes from byte/power: p < 160: byte p % 32, t = p / 32;
// p < 240: byte 32 + (p-160) % 16, t = (p-160) / 16; else byte 48 + (p-240) % 4,
// t = (p-240) / 4.
//
// Decoding 64 values in 16-bit lanes, lane l holding values 2l and 2l+1:
// a zero-masked byte permute puts the source byte of one value in the high
// byte (low byte 0); vpmullw by its power leaves m = (uint8)(b * 3^t) in the
// high byte, still over a zero low byte; vpmulhuw by 3 gives the trit in the
// low byte (the even value's place), vpmulhuw by 768 gives 3m, whose high
// byte is the trit (the odd value's place). One vpternlog merges the two.
struct Tq1Tables {
    alignas(64) uint8_t idx_even[256];  // per lane: source byte of value 2l, in its high byte
    alignas(64) uint8_t idx_odd[256];   // source byte of value 2l+1, in its high byte
    alignas(64) uint16_t pow_even[128];
    alignas(64) uint16_t pow_odd[128];
};
constexpr Tq1Tables make_tq1_tables() {
    Tq1Tables t{};
    uint8_t src[256]{}, pw[256]{};
    constexpr uint8_t p3[5] = {1, 3, 9, 27, 81};
    for (int p = 0; p < 256; ++p) {
        int byte = 0, tt = 0;
        if (p < 160) {
            byte = p % 32;
            tt = p / 32;
        } else if (p < 240) {
            byte = 32 + (p - 160) % 16;
            tt = (p - 160) / 16;
        } else {
            byte = 48 + (p - 240) % 4;
            tt = (p - 240) / 4;
        }
        src[p] = static_cast<uint8_t>(byte);
        pw[p] = p3[tt];
    }
    for (int l = 0; l < 128; ++l) {
        t.idx_even[2 * l + 1] = src[2 * l];
        t.idx_odd[2 * l + 1] = src[2 * l + 1];
        t.pow_even[l] = pw[2 * l];
        t.pow_odd[l] = pw[2 * l + 1];
    }
    return t;
}
constexpr Tq1Tables kTq1 = make_tq1_tables();

template <int NA>
void tq1_0_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i ie[4], io[4], pe[4], po[4];
    for (int k = 0; k < 4; ++k) {
        ie[k] = _mm512_load_si512(kTq1.idx_even + 64 * k);
        io[k] = _mm512_load_si512(kTq1.idx_odd + 64 * k);
        pe[k] = _mm512_load_si512(kTq1.pow_even + 32 * k);
        po[k] = _mm512_load_si512(kTq1.pow_odd + 32 * k);
    }
    constexpr __mmask64 kHigh = 0xaaaaaaaaaaaaaaaaULL;
    const __m512i three = _mm512_set1_epi16(3);
    const __m512i three_hi = _mm512_set1_epi16(768);
    const __m512i high_bytes = _mm512_set1_epi16(static_cast<short>(0xff00));
    const __m512i minus1 = _mm512_set1_epi16(-1);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 54) {
        prefetch_weights<54>(wb);
        const __m512i src = _mm512_maskz_loadu_epi8((1ULL << 52) - 1, wb);
        __m512i c[4];
        for (int k = 0; k < 4; ++k) {
            const __m512i me =
                _mm512_mullo_epi16(_mm512_maskz_permutexvar_epi8(kHigh, ie[k], src), pe[k]);
            const __m512i mo =
                _mm512_mullo_epi16(_mm512_maskz_permutexvar_epi8(kHigh, io[k], src), po[k]);
            // even trit in the low byte | odd trit (high byte of 3m)
            c[k] = _mm512_ternarylogic_epi32(_mm512_mulhi_epu16(me, three),
                                             _mm512_mulhi_epu16(mo, three_hi), high_bytes, 0xf8);
        }
        const float dw = half(wb + 52);
        for (int r = 0; r < NA; ++r) {
            const uint8_t* ab = A.block(r, i);
            // -Σa from bsums, in one vpdpwssd
            __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(),
                                            _mm512_zextsi256_si512(_mm256_loadu_si256(
                                                reinterpret_cast<const __m256i*>(ab + 260))),
                                            minus1);
            for (int k = 0; k < 4; ++k)
                s = _mm512_dpbusd_epi32(s, c[k], _mm512_loadu_si512(ab + 4 + 64 * k));
            float da;
            std::memcpy(&da, ab, 4);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(dw * da), acc[r]);
        }
    }
    store(acc, out);
}

// ------------------------------------------------- sign-coded IQ2 / IQ3 --
// One decoded super-block: magnitudes, sign masks, int16 scale lanes.
struct SignedBlock {
    __m512i mag[4];
    __mmask64 neg[4];
    __m512i scale[4];
};

// Lane k of chunk c takes word sel(c, k) of a vector of scales.
template <int NA>
inline void dot_signed(const SignedBlock& b, const Acts<NA>& A, int64_t i, float dw,
                       __m512 (&acc)[NA]) {
    for (int r = 0; r < NA; ++r) {
        const uint8_t* ab = A.block(r, i);
        __m512i s = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {
            const __m512i a = _mm512_loadu_si512(ab + 4 + 64 * k);
            const __m512i as = _mm512_mask_sub_epi8(a, b.neg[k], _mm512_setzero_si512(), a);
            s = chunk_scaled(s, b.mag[k], as, b.scale[k]);
        }
        float da;
        std::memcpy(&da, ab, 4);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(dw * da), acc[r]);
    }
}

// Word-permutation indices: chunk c, int16 lane k -> scale index
// 2c + k / 16 (per-32 scales) at word stride `stride`.
inline __m512i per32_perm(int c, int stride) {
    const __m512i lane =
        _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                         12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i g =
        _mm512_add_epi16(_mm512_srli_epi16(lane, 4), _mm512_set1_epi16(static_cast<short>(2 * c)));
    return _mm512_mullo_epi16(g, _mm512_set1_epi16(static_cast<short>(stride)));
}
// Per-16 scales: scale index 4c + k / 8.
inline __m512i per16_perm(int c) {
    const __m512i lane =
        _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                         12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    return _mm512_add_epi16(_mm512_srli_epi16(lane, 3),
                            _mm512_set1_epi16(static_cast<short>(4 * c)));
}

// Vector sign decoding for the aux-word formats: vpmultishiftqb pulls the
// 7-bit sign fields into bytes, vpermi2b maps them through the even-parity
// table, and per chunk vpermb spreads each sign byte over its 8 values and
// vptestmb turns bit (value % 8) into the negation mask.
struct SignTables {
    alignas(64) uint8_t spread[2][4][64];  // [layout][chunk]: value -> sign byte
    alignas(64) uint8_t grid_ids[4][64];   // IQ2_XXS: qword lane j of chunk c -> index byte
};
// layout 0: sign byte of (group g, l) at 8g + l (IQ2_XXS); layout 1: at 4g + l (IQ3_XXS).
constexpr SignTables make_sign_tables() {
    SignTables t{};
    for (int c = 0; c < 4; ++c)
        for (int p = 0; p < 64; ++p) {
            const int g = 2 * c + p / 32, l = (p % 32) / 8;
            t.spread[0][c][p] = static_cast<uint8_t>(8 * g + l);
            t.spread[1][c][p] = static_cast<uint8_t>(4 * g + l);
            t.grid_ids[c][p] =
                (p % 8) ? 0 : static_cast<uint8_t>(8 * (2 * c + p / 32) + (p / 8) % 4);
        }
    return t;
}
constexpr SignTables kSign = make_sign_tables();

// 7-bit fields -> 8 sign bits with even parity, every byte.
inline __m512i parity_signs(__m512i bits7) {
    const auto* t = reinterpret_cast<const uint8_t*>(quant::iq2::kSignsEvenParity);
    return _mm512_permutex2var_epi8(_mm512_loadu_si512(t), bits7, _mm512_loadu_si512(t + 64));
}

inline __mmask64 chunk_signs(__m512i sign_bytes, int layout, int c) {
    const __m512i spread =
        _mm512_permutexvar_epi8(_mm512_load_si512(kSign.spread[layout][c]), sign_bytes);
    return _mm512_test_epi8_mask(spread,
                                 _mm512_set1_epi64(static_cast<long long>(0x8040201008040201ULL)));
}

// IQ2_XXS [d:2][qs:64]: per 32 values 4 grid bytes then u32 aux = 4 x 7 sign
// bits | scale << 28.
template <int NA>
void iq2_xxs_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i perm[4];
    for (int c = 0; c < 4; ++c) perm[c] = per32_perm(c, 4);
    const auto* grid = reinterpret_cast<const long long*>(quant::iq2::kIq2xxsGrid);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 66) {
        prefetch_weights<66>(wb);
        SignedBlock b;
        const __m512i q = _mm512_loadu_si512(wb + 2);
        // scales 2 * (aux >> 28) + 1 in word 4g
        const __m512i sc =
            _mm512_add_epi64(_mm512_slli_epi64(_mm512_srli_epi64(q, 60), 1), _mm512_set1_epi64(1));
        // sign fields at bits 32 + 7l of qword g -> byte 8g + l
        const __m512i signs =
            parity_signs(_mm512_multishift_epi64_epi8(_mm512_set1_epi64(0x352e2720LL), q));
        for (int c = 0; c < 4; ++c) {
            const __m512i vi = _mm512_maskz_permutexvar_epi8(
                0x0101010101010101ULL, _mm512_load_si512(kSign.grid_ids[c]), q);
            b.mag[c] = _mm512_i64gather_epi64(vi, grid, 8);
            b.neg[c] = chunk_signs(signs, 0, c);
            b.scale[c] = _mm512_permutexvar_epi16(perm[c], sc);
        }
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
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i perm[4];
    for (int c = 0; c < 4; ++c) perm[c] = per16_perm(c);
    const auto* grid = reinterpret_cast<const long long*>(quant::iq2::kIq2xsGrid);
    const __m512i m511 = _mm512_set1_epi64(511);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 74) {
        prefetch_weights<74>(wb);
        SignedBlock b;
        // 16 scales: low nibble of byte g = index 2g, high = 2g + 1
        const __m128i sb = _mm_cvtsi64_si128(static_cast<long long>(ld64(wb + 66)));
        const __m128i nib =
            _mm_and_si128(_mm_unpacklo_epi8(sb, _mm_srli_epi16(sb, 4)), _mm_set1_epi8(15));
        const __m256i s16 =
            _mm256_add_epi16(_mm256_slli_epi16(_mm256_cvtepu8_epi16(nib), 1), _mm256_set1_epi16(1));
        const __m512i sc = _mm512_castsi256_si512(s16);
        for (int c = 0; c < 4; ++c) {
            const __m128i codes =
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 2 + 16 * c));
            const __m512i vi = _mm512_and_si512(_mm512_cvtepu16_epi64(codes), m511);
            b.mag[c] = _mm512_i64gather_epi64(vi, grid, 8);
            const uint64_t lo = ld64(wb + 2 + 16 * c), hi = ld64(wb + 10 + 16 * c);
            const uint64_t sg =
                _pext_u64(lo, 0xfe00fe00fe00fe00ULL) | (_pext_u64(hi, 0xfe00fe00fe00fe00ULL) << 28);
            b.neg[c] = even_signs(sg);
            b.scale[c] = _mm512_permutexvar_epi16(perm[c], sc);
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
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i perm[4];
    for (int c = 0; c < 4; ++c) perm[c] = per32_perm(c, 2);
    const auto* grid = reinterpret_cast<const int*>(quant::kIq3XxsGrid.data());
    for (int64_t i = 0; i < n / kQK; ++i, wb += 98) {
        prefetch_weights<98>(wb);
        SignedBlock b;
        const __m256i aux = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 66));
        const __m256i s32 = _mm256_add_epi32(_mm256_slli_epi32(_mm256_srli_epi32(aux, 28), 1),
                                             _mm256_set1_epi32(1));
        const __m512i sc = _mm512_castsi256_si512(s32);
        // sign fields at bits 7l (+ 32 for the odd dword) -> byte 4g + l
        const __m512i signs = parity_signs(_mm512_zextsi256_si512(
            _mm256_multishift_epi64_epi8(_mm256_set1_epi64x(0x352e2720150e0700LL), aux)));
        for (int c = 0; c < 4; ++c) {
            const __m512i vi = _mm512_cvtepu8_epi32(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 2 + 16 * c)));
            b.mag[c] = _mm512_i32gather_epi32(vi, grid, 4);
            b.neg[c] = chunk_signs(signs, 1, c);
            b.scale[c] = _mm512_permutexvar_epi16(perm[c], sc);
        }
        dot_signed(b, A, i, 0.25f * half(wb), acc);
    }
    store(acc, out);
}

// --------------------------------------------------------------- IQ1 ------
// One decoded IQ1 super-block: u = 8 (grid + 1) + 1 + delta per byte, int16
// scale lanes per chunk and -9 * scale per 16 values (for the bsums).
struct Iq1Block {
    __m512i u[4];
    __m512i scale[4];
    __m512i bcoef;  // int16 lanes 0..15: -9 * scale of values 16j..16j+15
};

template <int NA>
inline void dot_iq1(const Iq1Block& b, const Acts<NA>& A, int64_t i, float dw, __m512 (&acc)[NA]) {
    for (int r = 0; r < NA; ++r) {
        const uint8_t* ab = A.block(r, i);
        const __m512i bs =
            _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab + 260)));
        __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(), bs, b.bcoef);
        for (int k = 0; k < 4; ++k)
            s = chunk_scaled(s, b.u[k], _mm512_loadu_si512(ab + 4 + 64 * k), b.scale[k]);
        float da;
        std::memcpy(&da, ab, 4);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(dw * da), acc[r]);
    }
}

// Grid bytes {-1,0,1} of 8 entries -> 8 * (g + 1) + 1 - 1 (0, 8, 16); the
// caller adds 2 where delta is +1.
inline __m512i iq1_gather(__m512i vi) {
    const auto* grid = reinterpret_cast<const long long*>(quant::kIq1Grid.data());
    const __m512i g = _mm512_i64gather_epi64(vi, grid, 8);
    return _mm512_slli_epi16(_mm512_add_epi8(g, _mm512_set1_epi8(1)), 3);
}

// IQ1_S [d:2][qs:32][qh:8 x u16]: qh = 4 x 3 high index bits | scale << 12 |
// delta sign << 15, per 32 values.
template <int NA>
void iq1_s_impl(int64_t n, const void* w, const void* acts, size_t stride, float* out) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const Acts<NA> A(acts, stride);
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i perm[4];
    for (int c = 0; c < 4; ++c) perm[c] = per32_perm(c, 1);
    const __m512i shifts = _mm512_set_epi64(25, 22, 19, 16, 9, 6, 3, 0);
    const __m512i seven = _mm512_set1_epi64(7);
    const __m512i pairs = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 6,
                                           6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i two = _mm512_set1_epi8(2);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 50) {
        prefetch_weights<50>(wb);
        Iq1Block b;
        const __m128i qh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + 34));
        const __m128i s8 = _mm_add_epi16(
            _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(qh, 12), _mm_set1_epi16(7)), 1),
            _mm_set1_epi16(1));
        const __m512i sc = _mm512_castsi128_si512(s8);
        b.bcoef = _mm512_maskz_permutexvar_epi16(0xffff, pairs,
                                                 _mm512_mullo_epi16(sc, _mm512_set1_epi16(-9)));
        for (int c = 0; c < 4; ++c) {
            const uint32_t h = ld32(wb + 34 + 4 * c);
            const __m512i lo = _mm512_cvtepu8_epi64(
                _mm_cvtsi64_si128(static_cast<long long>(ld64(wb + 2 + 8 * c))));
            const __m512i hb =
                _mm512_and_si512(_mm512_srlv_epi64(_mm512_set1_epi64(h), shifts), seven);
            const __m512i g = iq1_gather(_mm512_or_si512(lo, _mm512_slli_epi64(hb, 8)));
            // delta +1 (sign bit clear) -> add 2
            const uint64_t pos = (((h >> 15) & 1) ? 0 : 0x00000000ffffffffULL) |
                                 (((h >> 31) & 1) ? 0 : 0xffffffff00000000ULL);
            b.u[c] = _mm512_mask_add_epi8(g, pos, g, two);
            b.scale[c] = _mm512_permutexvar_epi16(perm[c], sc);
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
    __m512 acc[NA];
    for (int r = 0; r < NA; ++r) acc[r] = _mm512_setzero_ps();
    __m512i perm[4];
    for (int c = 0; c < 4; ++c) perm[c] = per16_perm(c);
    const __m512i shifts = _mm512_set_epi64(28, 24, 20, 16, 12, 8, 4, 0);
    const __m512i seven = _mm512_set1_epi64(7);
    // scale s = 4k + j: word k, bits 3j
    const __m512i sword = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3,
                                           3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i sshift = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 6, 3,
                                            0, 9, 6, 3, 0, 9, 6, 3, 0, 9, 6, 3, 0);
    const __m512i two = _mm512_set1_epi8(2);
    for (int64_t i = 0; i < n / kQK; ++i, wb += 56) {
        prefetch_weights<56>(wb);
        Iq1Block b;
        const uint64_t scw = ld64(wb + 48);
        const auto d_bits = static_cast<uint16_t>(((scw >> 12) & 0x000f) | ((scw >> 24) & 0x00f0) |
                                                  ((scw >> 36) & 0x0f00) | ((scw >> 48) & 0xf000));
        const __m512i words =
            _mm512_permutexvar_epi16(sword, _mm512_set1_epi64(static_cast<long long>(scw)));
        const __m512i s3 = _mm512_and_si512(_mm512_srlv_epi16(words, sshift), _mm512_set1_epi16(7));
        const __m512i sc = _mm512_maskz_add_epi16(0xffff, _mm512_slli_epi16(s3, 1),
                                                  _mm512_set1_epi16(1));  // 16 scales
        b.bcoef = _mm512_mullo_epi16(sc, _mm512_set1_epi16(-9));
        for (int c = 0; c < 4; ++c) {
            const uint32_t h = ld32(wb + 32 + 4 * c);
            const __m512i lo =
                _mm512_cvtepu8_epi64(_mm_cvtsi64_si128(static_cast<long long>(ld64(wb + 8 * c))));
            const __m512i hb =
                _mm512_and_si512(_mm512_srlv_epi64(_mm512_set1_epi64(h), shifts), seven);
            const __m512i g = iq1_gather(_mm512_or_si512(lo, _mm512_slli_epi64(hb, 8)));
            // delta +1 where bit 3 of the entry's nibble is clear -> add 2
            const uint64_t pos =
                _pdep_u64(_pext_u32(~h, 0x88888888U), 0x0101010101010101ULL) * 0xff;
            b.u[c] = _mm512_mask_add_epi8(g, pos, g, two);
            b.scale[c] = _mm512_permutexvar_epi16(perm[c], sc);
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

void register_lowbit_avx512(KernelTable& table) {
    set_entry<tq2_0_kernel>(table, TypeId::TQ2_0);
    set_entry<tq1_0_kernel>(table, TypeId::TQ1_0);
    set_entry<iq2_xxs_kernel>(table, TypeId::IQ2_XXS);
    set_entry<iq2_xs_kernel>(table, TypeId::IQ2_XS);
    set_entry<iq3_xxs_kernel>(table, TypeId::IQ3_XXS);
    set_entry<iq1_s_kernel>(table, TypeId::IQ1_S);
    set_entry<iq1_m_kernel>(table, TypeId::IQ1_M);
}

}  // namespace ql::kernels::simd
