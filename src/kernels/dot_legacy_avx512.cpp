// AVX-512 dot products for the legacy family (see simd_tables.hpp): Q8_0,
// Q4_0, IQ4_NL and MXFP4 against Q8_0 activations, IQ4_XS against Q8_K, and
// F16 / BF16 against activations of the same type.
//
// Integer products use VNNI (vpdpbusd: unsigned x signed bytes). For the
// Q8_0-paired formats the weights are decoded to signed bytes and the
// activations offset to unsigned (y + 128, an xor), the excess 128 * Σw being
// subtracted up front: Σw depends on the weights only, so one correction
// serves every activation row of vec_dot_multi. For IQ4_XS the table yields
// w + 128 directly and the excess 128 * Σy comes from the Q8_K bsums.
// Two 32-value blocks fill one 512-bit register: 32-bit lanes 0-7 belong to
// the first, 8-15 to the second, and each lane is scaled by its block's
// d_w * d_y in float before accumulation.
#include <immintrin.h>

#include "kernels/legacy_simd.hpp"
#include "kernels/prefetch_simd.hpp"
#include "kernels/simd_entry.hpp"
#include "kernels/simd_tables.hpp"

namespace ql::kernels::simd {

namespace {

using namespace legacy;

enum class Fmt { Q8_0, Q4_0, Iq4Nl, Mxfp4 };

template <Fmt F>
struct Traits;
template <>
struct Traits<Fmt::Q8_0> {
    static constexpr int kBytes = kQ8_0Bytes, kQs = 2;
};
template <>
struct Traits<Fmt::Q4_0> {
    static constexpr int kBytes = kQ4_0Bytes, kQs = 2;
    static constexpr const std::array<int8_t, 16>& kLevels = kQ4_0Levels;
};
template <>
struct Traits<Fmt::Iq4Nl> {
    static constexpr int kBytes = kQ4_0Bytes, kQs = 2;
    static constexpr const std::array<int8_t, 16>& kLevels = kIq4Levels;
};
template <>
struct Traits<Fmt::Mxfp4> {
    static constexpr int kBytes = kMxfp4Bytes, kQs = 1;
    static constexpr const std::array<int8_t, 16>& kLevels = kFp4Doubled;
};

// Sum of the 16 lanes (GCC 12's _mm512_reduce_add_ps and unmasked 512-bit
// extracts / broadcasts trip -Wuninitialized, hence the zero-masked forms).
float hsum(__m512 v) {
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));  // + other half
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0xb1));  // + other quarter
    __m128 h = _mm512_maskz_extractf32x4_ps(0xf, v, 0);
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// A 16-entry signed byte table in every 128-bit lane, offset by `bias`.
__m512i table512(const std::array<int8_t, 16>& levels, int bias) {
    alignas(16) int8_t t[16];
    for (int j = 0; j < 16; ++j) t[j] = static_cast<int8_t>(levels[j] + bias);
    return _mm512_maskz_broadcast_i32x4(0xffff,
                                        _mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}

template <Fmt F>
__m512i levels512() {
    if constexpr (F == Fmt::Q8_0)
        return _mm512_setzero_si512();
    else
        return table512(Traits<F>::kLevels, 0);
}

__m256i load256(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__m128i load128(const uint8_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Two 32-byte runs into one register (a first, b second).
__m512i load_pair(const uint8_t* a, const uint8_t* b) {
    return _mm512_maskz_inserti64x4(0xff, _mm512_zextsi256_si512(load256(a)), load256(b), 1);
}

// Two 16-byte nibble runs (32 values each: low nibbles first, then high
// nibbles) to 64 codes 0..15, looked up in `table`.
template <bool Lookup = true>
__m512i nibbles_pair(const uint8_t* a, const uint8_t* b, __m512i table) {
    const __m256i qa = _mm256_broadcastsi128_si256(load128(a));
    const __m256i qb = _mm256_broadcastsi128_si256(load128(b));
    __m512i v = _mm512_maskz_inserti64x4(0xff, _mm512_zextsi256_si512(qa), qb, 1);
    v = _mm512_mask_srli_epi16(v, 0xff00ff00u, v, 4);  // 128-bit lanes 1 and 3: high nibbles
    v = _mm512_and_si512(v, _mm512_set1_epi8(0x0f));
    if constexpr (!Lookup) return v;
    return _mm512_shuffle_epi8(table, v);
}

// One 16-byte nibble run to 32 codes looked up in `table` (256-bit).
__m256i nibbles_one(const uint8_t* q, __m256i table) {
    const __m128i raw = load128(q);
    const __m256i v =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0f));
    return _mm256_shuffle_epi8(table, v);
}

// Signed weight bytes of blocks wb and wb + kBytes.
template <Fmt F>
__m512i decode_pair(const uint8_t* wb, __m512i table) {
    using T = Traits<F>;
    if constexpr (F == Fmt::Q8_0)
        return load_pair(wb + T::kQs, wb + T::kBytes + T::kQs);
    else
        return nibbles_pair(wb + T::kQs, wb + T::kBytes + T::kQs, table);
}

template <Fmt F>
__m256i decode_one(const uint8_t* wb, __m512i table) {
    if constexpr (F == Fmt::Q8_0)
        return load256(wb + Traits<F>::kQs);
    else
        return nibbles_one(wb + Traits<F>::kQs, _mm512_castsi512_si256(table));
}

template <Fmt F>
float weight_scale(const uint8_t* wb) {
    if constexpr (F == Fmt::Mxfp4)
        return e8m0_half(wb[0]);
    else
        return _cvtsh_ss(u16_at(wb));
}

// Byte k * Stride + j (j < Width) of a run to byte Width * k + j, k = 0..3.
// A constant table (a function-local static would cost a guard check per
// call, and the possible call behind it makes the compiler reload every
// vector constant of the loop).
template <int Stride, int Width>
struct GatherIndex {
    alignas(64) int8_t idx[64] = {};
    constexpr GatherIndex() {
        for (int k = 0; k < 4; ++k)
            for (int j = 0; j < Width; ++j)
                idx[Width * k + j] = static_cast<int8_t>(k * Stride + j);
    }
};
template <int Stride, int Width>
constexpr GatherIndex<Stride, Width> kGatherIndex{};

// The 2-byte (or 1-byte) fields at p + k * Stride, k = 0..3, packed into the
// low bytes of a register with one or two byte permutes (all within 128
// bytes of p; the 64- or 128-byte read stays inside the four blocks).
template <int Stride, int Width>
__m128i gather4(const uint8_t* p) {
    static_assert(3 * Stride + Width <= 128);
    const __m512i idx = _mm512_load_si512(kGatherIndex<Stride, Width>.idx);
    __m512i v;
    if constexpr (3 * Stride + Width <= 64)
        v = _mm512_permutexvar_epi8(idx, _mm512_loadu_si512(p));
    else
        v = _mm512_permutex2var_epi8(_mm512_loadu_si512(p), idx, _mm512_loadu_si512(p + 64));
    return _mm512_castsi512_si128(v);
}

// fp16 fields at p + k * Stride as 4 floats.
template <int Stride>
__m128 halves4(const uint8_t* p) {
    return _mm_cvtph_ps(gather4<Stride, 2>(p));
}

template <Fmt F>
__m128 weight_scales4(const uint8_t* wb) {
    constexpr int kB = Traits<F>::kBytes;
    if constexpr (F == Fmt::Mxfp4) {
        // E8M0: (e - 1) << 23 for e >= 2; the two subnormal halves otherwise.
        const __m128i e = _mm_cvtepu8_epi32(gather4<kB, 1>(wb));
        const __m128i normal = _mm_slli_epi32(_mm_sub_epi32(e, _mm_set1_epi32(1)), 23);
        const __m128i tiny = _mm_sllv_epi32(_mm_set1_epi32(0x00200000), e);
        const __mmask8 small = _mm_cmplt_epi32_mask(e, _mm_set1_epi32(2));
        return _mm_castsi128_ps(_mm_mask_blend_epi32(small, normal, tiny));
    } else {
        return halves4<kB>(wb);
    }
}

// out[a] = Σ over blocks of d_w d_y Σ w_j y_j, for NA activation rows.
template <Fmt F, int NA>
void q8_paired(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    using T = Traits<F>;
    const int64_t nb = n / 32;
    const __m512i table = levels512<F>();
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i zero = _mm512_setzero_si512();
    const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const __m512i idx1 = _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    __m512 acc0[NA], acc1[NA];
    for (int a = 0; a < NA; ++a) acc0[a] = acc1[a] = _mm512_setzero_ps();
    int64_t i = 0;
    // Nibble formats against one row: unsigned codes c = w + bias (the raw
    // nibble for Q4_0, bias 8; a table lookup biased by 128 otherwise) and
    // Σ w y = Σ c y - bias Σ y with y as is: cheaper than the Σw correction
    // when there is no other row to share it with.
    constexpr bool kRawCodes = F != Fmt::Q8_0 && NA == 1;
    constexpr int kBias = F == Fmt::Q4_0 ? 8 : 128;
    const __m512i kb = _mm512_set1_epi8(static_cast<char>(kBias));
    __m512i biased = table;
    if constexpr (kRawCodes && F != Fmt::Q4_0) biased = table512(Traits<F>::kLevels, 128);
    for (; i + 4 <= nb; i += 4) {
        const uint8_t* wb = w + i * T::kBytes;
        prefetch_weights<4 * T::kBytes>(wb);
        __m512i w0, w1, c0, c1;
        if constexpr (kRawCodes) {
            constexpr bool kLookup = F != Fmt::Q4_0;
            w0 = nibbles_pair<kLookup>(wb + T::kQs, wb + T::kBytes + T::kQs, biased);
            w1 = nibbles_pair<kLookup>(wb + 2 * T::kBytes + T::kQs, wb + 3 * T::kBytes + T::kQs,
                                       biased);
            c0 = c1 = zero;
        } else {
            w0 = decode_pair<F>(wb, table);
            w1 = decode_pair<F>(wb + 2 * T::kBytes, table);
            // -128 Σw per lane: the excess of (y + 128) w over y w.
            c0 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k80, w0));
            c1 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k80, w1));
        }
        const __m128 ws = weight_scales4<F>(wb);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* yb = acts + a * stride + i * kQ8_0Bytes;
            const __m512 s = _mm512_zextps128_ps512(_mm_mul_ps(ws, halves4<kQ8_0Bytes>(yb)));
            __m512i y0 = load_pair(yb + 2, yb + 2 + kQ8_0Bytes);
            __m512i y1 = load_pair(yb + 2 + 2 * kQ8_0Bytes, yb + 2 + 3 * kQ8_0Bytes);
            __m512i d0, d1;
            if constexpr (kRawCodes) {
                d0 = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, w0, y0),
                                      _mm512_dpbusd_epi32(zero, kb, y0));
                d1 = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, w1, y1),
                                      _mm512_dpbusd_epi32(zero, kb, y1));
            } else {
                d0 = _mm512_dpbusd_epi32(c0, _mm512_xor_si512(y0, k80), w0);
                d1 = _mm512_dpbusd_epi32(c1, _mm512_xor_si512(y1, k80), w1);
            }
            acc0[a] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_permutexvar_ps(idx0, s), acc0[a]);
            acc1[a] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_permutexvar_ps(idx1, s), acc1[a]);
        }
    }
    float tail[NA] = {};
    for (; i < nb; ++i) {
        const uint8_t* wb = w + i * T::kBytes;
        prefetch_weights<4 * T::kBytes>(wb);
        const __m256i wv = decode_one<F>(wb, table);
        const __m256i k80h = _mm512_castsi512_si256(k80);
        const __m256i c = _mm256_dpbusd_epi32(_mm256_setzero_si256(), k80h, wv);
        const float dw = weight_scale<F>(wb);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* yb = acts + a * stride + i * kQ8_0Bytes;
            const __m256i y = _mm256_xor_si256(load256(yb + 2), k80h);
            const __m256i d =
                _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), y, wv), c);
            const __m128i h =
                _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1));
            const __m128i q = _mm_add_epi32(h, _mm_unpackhi_epi64(h, h));
            const int isum = _mm_cvtsi128_si32(q) + _mm_extract_epi32(q, 1);
            tail[a] += static_cast<float>(isum) * (dw * _cvtsh_ss(u16_at(yb)));
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(_mm512_add_ps(acc0[a], acc1[a])) + tail[a];
}

// IQ4_XS x Q8_K. Per super-block of 256: 8 groups of 32 with signed 6-bit
// scales; group g's 16 nibble bytes hold values 0-15 (low) and 16-31 (high).
template <int NA>
void iq4_xs(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const int64_t nsb = n / 256;
    const __m512i table = table512(kIq4Levels, 128);  // w + 128 as unsigned bytes
    const __m512i zero = _mm512_setzero_si512();
    const __m256i low_shift = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i high_shift = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i pair_idx =
        _mm256_setr_epi16(0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
    __m512i idx[4];
    for (int v = 0; v < 4; ++v) {
        const int e = 2 * v, o = 2 * v + 1;
        idx[v] = _mm512_setr_epi32(e, e, e, e, e, e, e, e, o, o, o, o, o, o, o, o);
    }
    const __m512 minus128 = _mm512_set1_ps(-128.0f);
    __m512 acc[NA];
    for (int a = 0; a < NA; ++a) acc[a] = _mm512_setzero_ps();
    for (int64_t ib = 0; ib < nsb; ++ib) {
        const uint8_t* wb = w + ib * kIq4XsBytes;
        prefetch_weights<kIq4XsBytes>(wb);
        const __m256i sl = _mm256_set1_epi32(static_cast<int>(u32_at(wb + 4)));
        const __m256i sh = _mm256_set1_epi32(u16_at(wb + 2));
        const __m256i low =
            _mm256_and_si256(_mm256_srlv_epi32(sl, low_shift), _mm256_set1_epi32(15));
        const __m256i high = _mm256_slli_epi32(
            _mm256_and_si256(_mm256_srlv_epi32(sh, high_shift), _mm256_set1_epi32(3)), 4);
        const __m256i sc = _mm256_sub_epi32(_mm256_or_si256(low, high), _mm256_set1_epi32(32));
        const __m256i sc16 = _mm256_permutexvar_epi16(pair_idx, sc);  // scale per 16 values
        const __m512 scf = _mm512_zextps256_ps512(_mm256_cvtepi32_ps(sc));
        __m512 sv[4];
        __m512i wv[4];
        for (int v = 0; v < 4; ++v) {
            sv[v] = _mm512_permutexvar_ps(idx[v], scf);
            wv[v] = nibbles_pair(wb + 8 + 32 * v, wb + 24 + 32 * v, table);
        }
        const float dw = _cvtsh_ss(u16_at(wb));
        for (int a = 0; a < NA; ++a) {
            const uint8_t* yb = acts + a * stride + ib * kQ8KBytes;
            const uint8_t* yq = yb + 4;
            __m512 t0 = _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wv[0], _mm512_loadu_si512(yq))),
                sv[0]);
            __m512 t1 = _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wv[1], _mm512_loadu_si512(yq + 64))),
                sv[1]);
            t0 = _mm512_fmadd_ps(
                _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wv[2], _mm512_loadu_si512(yq + 128))),
                sv[2], t0);
            t1 = _mm512_fmadd_ps(
                _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wv[3], _mm512_loadu_si512(yq + 192))),
                sv[3], t1);
            const __m256i corr = _mm256_madd_epi16(load256(yq + 256), sc16);
            t0 = _mm512_fmadd_ps(_mm512_zextps256_ps512(_mm256_cvtepi32_ps(corr)), minus128, t0);
            const __m512 d = _mm512_set1_ps(dw * f32_at(yb));
            acc[a] = _mm512_fmadd_ps(_mm512_add_ps(t0, t1), d, acc[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(acc[a]);
}

// F16 x F16: exact products (11 x 11 bits), float sums. U independent
// accumulators per row hide the FMA latency (one row alone needs more).
template <int NA>
void f16(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr int U = NA == 1 ? 4 : 2;
    __m512 acc[NA][U];
    for (int a = 0; a < NA; ++a)
        for (int u = 0; u < U; ++u) acc[a][u] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 * U <= n; i += 16 * U) {
        prefetch_weights<32 * U>(w + 2 * i);
        __m512 wv[U];
        for (int u = 0; u < U; ++u) wv[u] = _mm512_cvtph_ps(load256(w + 2 * i + 32 * u));
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = acts + a * stride + 2 * i;
            for (int u = 0; u < U; ++u)
                acc[a][u] = _mm512_fmadd_ps(wv[u], _mm512_cvtph_ps(load256(y + 32 * u)), acc[a][u]);
        }
    }
    for (; i < n; i += 16) {
        const int64_t left = n - i;
        const __mmask16 m = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
        const __m512 w0 = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 2 * i));
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = acts + a * stride + 2 * i;
            acc[a][0] =
                _mm512_fmadd_ps(w0, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, y)), acc[a][0]);
        }
    }
    for (int a = 0; a < NA; ++a) {
        __m512 t = acc[a][0];
        for (int u = 1; u < U; ++u) t = _mm512_add_ps(t, acc[a][u]);
        out[a] = hsum(t);
    }
}

// BF16 x BF16 with vdpbf16ps (pairs of exact products per float lane).
template <int NA>
void bf16(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr int U = NA == 1 ? 4 : 2;
    __m512 acc[NA][U];
    for (int a = 0; a < NA; ++a)
        for (int u = 0; u < U; ++u) acc[a][u] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 * U <= n; i += 32 * U) {
        prefetch_weights<64 * U>(w + 2 * i);
        __m512bh wv[U];
        for (int u = 0; u < U; ++u) wv[u] = (__m512bh)_mm512_loadu_si512(w + 2 * i + 64 * u);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = acts + a * stride + 2 * i;
            for (int u = 0; u < U; ++u)
                acc[a][u] =
                    _mm512_dpbf16_ps(acc[a][u], wv[u], (__m512bh)_mm512_loadu_si512(y + 64 * u));
        }
    }
    for (; i < n; i += 32) {
        const int64_t left = n - i;
        const __mmask32 m = left >= 32 ? __mmask32(0xffffffffu) : __mmask32((1u << left) - 1);
        const __m512bh w0 = (__m512bh)_mm512_maskz_loadu_epi16(m, w + 2 * i);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = acts + a * stride + 2 * i;
            acc[a][0] = _mm512_dpbf16_ps(acc[a][0], w0, (__m512bh)_mm512_maskz_loadu_epi16(m, y));
        }
    }
    for (int a = 0; a < NA; ++a) {
        __m512 t = acc[a][0];
        for (int u = 1; u < U; ++u) t = _mm512_add_ps(t, acc[a][u]);
        out[a] = hsum(t);
    }
}

template <Fmt F>
struct Q8Paired {
    template <int NA>
    static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, float* out) {
        q8_paired<F, NA>(n, w, a, s, out);
    }
};
struct Iq4Xs {
    template <int NA>
    static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, float* out) {
        iq4_xs<NA>(n, w, a, s, out);
    }
};
struct F16 {
    template <int NA>
    static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, float* out) {
        f16<NA>(n, w, a, s, out);
    }
};
struct Bf16 {
    template <int NA>
    static void run(int64_t n, const uint8_t* w, const uint8_t* a, size_t s, float* out) {
        bf16<NA>(n, w, a, s, out);
    }
};

}  // namespace

void register_legacy_avx512(KernelTable& table) {
    set_entry<Q8Paired<Fmt::Q8_0>>(table, TypeId::Q8_0);
    set_entry<Q8Paired<Fmt::Q4_0>>(table, TypeId::Q4_0);
    set_entry<Q8Paired<Fmt::Iq4Nl>>(table, TypeId::IQ4_NL);
    set_entry<Q8Paired<Fmt::Mxfp4>>(table, TypeId::MXFP4);
    set_entry<Iq4Xs>(table, TypeId::IQ4_XS);
    set_entry<F16>(table, TypeId::F16);
    set_entry<Bf16>(table, TypeId::BF16);
}

}  // namespace ql::kernels::simd
