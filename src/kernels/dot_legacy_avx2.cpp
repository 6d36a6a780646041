// AVX2 dot products for the legacy family (see simd_tables.hpp): Q8_0, Q4_0,
// IQ4_NL and MXFP4 against Q8_0 activations, IQ4_XS against Q8_K, and F16 /
// BF16 against activations of the same type.
//
// Integer products use vpmaddubsw (unsigned x signed bytes, pairs summed to
// saturating int16), so one factor is made non-negative and its sign moved
// to the other: |w| x sign(y, w) for the Q8_0-paired formats (|w| is shared
// by every activation row; Q8_0 activations never reach -128), |y| x
// sign(w, y) for IQ4_XS (Q8_K activations do reach -128, the grid does not).
// One 32-value block per 256-bit register, scaled by d_w * d_y in float.
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

__m256i table256(const std::array<int8_t, 16>& levels) {
    const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(levels.data()));
    return _mm256_broadcastsi128_si256(t);
}

template <Fmt F>
__m256i levels256() {
    if constexpr (F == Fmt::Q8_0)
        return _mm256_setzero_si256();
    else
        return table256(Traits<F>::kLevels);
}

__m256i load256(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// One 16-byte nibble run to 32 codes (low nibbles first) looked up in `table`.
__m256i nibbles(const uint8_t* q, __m256i table) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m256i v =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0f));
    return _mm256_shuffle_epi8(table, v);
}

template <Fmt F>
__m256i decode(const uint8_t* wb, __m256i table) {
    if constexpr (F == Fmt::Q8_0)
        return load256(wb + Traits<F>::kQs);
    else
        return nibbles(wb + Traits<F>::kQs, table);
}

__m128 halves4(const uint8_t* p, int stride) {
    const __m128i h =
        _mm_setr_epi16(static_cast<short>(u16_at(p)), static_cast<short>(u16_at(p + stride)),
                       static_cast<short>(u16_at(p + 2 * stride)),
                       static_cast<short>(u16_at(p + 3 * stride)), 0, 0, 0, 0);
    return _mm_cvtph_ps(h);
}

template <Fmt F>
float weight_scale(const uint8_t* wb) {
    if constexpr (F == Fmt::Mxfp4)
        return e8m0_half(wb[0]);
    else
        return _cvtsh_ss(u16_at(wb));
}

template <Fmt F>
__m128 weight_scales4(const uint8_t* wb) {
    constexpr int kB = Traits<F>::kBytes;
    if constexpr (F == Fmt::Mxfp4)
        return _mm_setr_ps(e8m0_half(wb[0]), e8m0_half(wb[kB]), e8m0_half(wb[2 * kB]),
                           e8m0_half(wb[3 * kB]));
    else
        return halves4(wb, kB);
}

float hsum(__m256 v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// Σ w_j y_j over one block as 8 int32 lanes; aw = |w|.
__m256i block_dot(__m256i aw, __m256i w, const uint8_t* yq) {
    const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(load256(yq), w));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

template <Fmt F, int NA>
void q8_paired(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    using T = Traits<F>;
    const int64_t nb = n / 32;
    const __m256i table = levels256<F>();
    __m256 acc0[NA], acc1[NA];
    for (int a = 0; a < NA; ++a) acc0[a] = acc1[a] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        const uint8_t* wb = w + i * T::kBytes;
        prefetch_weights<4 * T::kBytes>(wb);
        __m256i wv[4], aw[4];
        for (int k = 0; k < 4; ++k) {
            wv[k] = decode<F>(wb + k * T::kBytes, table);
            aw[k] = _mm256_abs_epi8(wv[k]);
        }
        const __m128 ws = weight_scales4<F>(wb);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* yb = acts + a * stride + i * kQ8_0Bytes;
            const __m256 s = _mm256_castps128_ps256(_mm_mul_ps(ws, halves4(yb, kQ8_0Bytes)));
            for (int k = 0; k < 4; k += 2) {
                const __m256i d0 = block_dot(aw[k], wv[k], yb + 2 + k * kQ8_0Bytes);
                const __m256i d1 = block_dot(aw[k + 1], wv[k + 1], yb + 2 + (k + 1) * kQ8_0Bytes);
                const __m256 s0 = _mm256_permutevar8x32_ps(s, _mm256_set1_epi32(k));
                const __m256 s1 = _mm256_permutevar8x32_ps(s, _mm256_set1_epi32(k + 1));
                acc0[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), s0, acc0[a]);
                acc1[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d1), s1, acc1[a]);
            }
        }
    }
    for (; i < nb; ++i) {
        const uint8_t* wb = w + i * T::kBytes;
        prefetch_weights<4 * T::kBytes>(wb);
        const __m256i wv = decode<F>(wb, table);
        const __m256i aw = _mm256_abs_epi8(wv);
        const float dw = weight_scale<F>(wb);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* yb = acts + a * stride + i * kQ8_0Bytes;
            const __m256 s = _mm256_set1_ps(dw * _cvtsh_ss(u16_at(yb)));
            acc0[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot(aw, wv, yb + 2)), s, acc0[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(_mm256_add_ps(acc0[a], acc1[a]));
}

// IQ4_XS x Q8_K: per group of 32, Σ |y| sign(w, y) in int16 pairs, times the
// group scale (vpmaddwd), summed in int32 over the super-block.
template <int NA>
void iq4_xs(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    const int64_t nsb = n / 256;
    const __m256i table = table256(kIq4Levels);
    __m256 acc[NA];
    for (int a = 0; a < NA; ++a) acc[a] = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < nsb; ++ib) {
        const uint8_t* wb = w + ib * kIq4XsBytes;
        prefetch_weights<kIq4XsBytes>(wb);
        int scales[8];
        iq4_xs_scales(wb, scales);
        __m256i isum[NA];
        for (int a = 0; a < NA; ++a) isum[a] = _mm256_setzero_si256();
        for (int g = 0; g < 8; ++g) {
            const __m256i wv = nibbles(wb + 8 + 16 * g, table);
            const __m256i sc = _mm256_set1_epi16(static_cast<short>(scales[g]));
            for (int a = 0; a < NA; ++a) {
                const __m256i y = load256(acts + a * stride + ib * kQ8KBytes + 4 + 32 * g);
                const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(y), _mm256_sign_epi8(wv, y));
                isum[a] = _mm256_add_epi32(isum[a], _mm256_madd_epi16(p, sc));
            }
        }
        const float dw = _cvtsh_ss(u16_at(wb));
        for (int a = 0; a < NA; ++a) {
            const float dy = f32_at(acts + a * stride + ib * kQ8KBytes);
            acc[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[a]), _mm256_set1_ps(dw * dy), acc[a]);
        }
    }
    for (int a = 0; a < NA; ++a) out[a] = hsum(acc[a]);
}

// F16 x F16: exact products, float sums; U independent accumulators per row
// hide the FMA latency (4 for one row; 2 per row keep 4 rows in registers).
template <int NA>
void f16(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr int U = NA == 1 ? 4 : 2;
    __m256 acc[NA][U];
    for (int a = 0; a < NA; ++a)
        for (int u = 0; u < U; ++u) acc[a][u] = _mm256_setzero_ps();
    auto half8 = [](const uint8_t* p) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    };
    int64_t i = 0;
    for (; i + 8 * U <= n; i += 8 * U) {
        __m256 wv[U];
        for (int u = 0; u < U; ++u) wv[u] = half8(w + 2 * i + 16 * u);
        for (int a = 0; a < NA; ++a) {
            const uint8_t* y = acts + a * stride + 2 * i;
            for (int u = 0; u < U; ++u)
                acc[a][u] = _mm256_fmadd_ps(wv[u], half8(y + 16 * u), acc[a][u]);
        }
    }
    for (int a = 0; a < NA; ++a) {
        __m256 t = acc[a][0];
        for (int u = 1; u < U; ++u) t = _mm256_add_ps(t, acc[a][u]);
        float sum = hsum(t);
        const uint8_t* y = acts + a * stride;
        for (int64_t j = i; j < n; ++j)
            sum += _cvtsh_ss(u16_at(w + 2 * j)) * _cvtsh_ss(u16_at(y + 2 * j));
        out[a] = sum;
    }
}

// BF16: the even elements of 32-bit lanes become floats by a left shift, the
// odd ones by masking the low half; products are exact either way. Even and
// odd products go to separate accumulators (2 per row, or 4 for one row).
template <int NA>
void bf16(int64_t n, const uint8_t* w, const uint8_t* acts, size_t stride, float* out) {
    constexpr int U = NA == 1 ? 2 : 1;  // 16-value steps per iteration
    __m256 acc[NA][2 * U];
    for (int a = 0; a < NA; ++a)
        for (int u = 0; u < 2 * U; ++u) acc[a][u] = _mm256_setzero_ps();
    const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
    int64_t i = 0;
    for (; i + 16 * U <= n; i += 16 * U) {
        __m256 we[U], wo[U];
        for (int u = 0; u < U; ++u) {
            const __m256i wv = load256(w + 2 * i + 32 * u);
            we[u] = _mm256_castsi256_ps(_mm256_slli_epi32(wv, 16));
            wo[u] = _mm256_castsi256_ps(_mm256_and_si256(wv, high));
        }
        for (int a = 0; a < NA; ++a) {
            for (int u = 0; u < U; ++u) {
                const __m256i yv = load256(acts + a * stride + 2 * i + 32 * u);
                acc[a][2 * u] = _mm256_fmadd_ps(
                    we[u], _mm256_castsi256_ps(_mm256_slli_epi32(yv, 16)), acc[a][2 * u]);
                acc[a][2 * u + 1] = _mm256_fmadd_ps(
                    wo[u], _mm256_castsi256_ps(_mm256_and_si256(yv, high)), acc[a][2 * u + 1]);
            }
        }
    }
    auto bf = [](const uint8_t* p) {
        const uint32_t bits = static_cast<uint32_t>(u16_at(p)) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    };
    for (int a = 0; a < NA; ++a) {
        __m256 t = acc[a][0];
        for (int u = 1; u < 2 * U; ++u) t = _mm256_add_ps(t, acc[a][u]);
        float sum = hsum(t);
        const uint8_t* y = acts + a * stride;
        for (int64_t j = i; j < n; ++j) sum += bf(w + 2 * j) * bf(y + 2 * j);
        out[a] = sum;
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

void register_legacy_avx2(KernelTable& table) {
    set_entry<Q8Paired<Fmt::Q8_0>>(table, TypeId::Q8_0);
    set_entry<Q8Paired<Fmt::Q4_0>>(table, TypeId::Q4_0);
    set_entry<Q8Paired<Fmt::Iq4Nl>>(table, TypeId::IQ4_NL);
    set_entry<Q8Paired<Fmt::Mxfp4>>(table, TypeId::MXFP4);
    set_entry<Iq4Xs>(table, TypeId::IQ4_XS);
    set_entry<F16>(table, TypeId::F16);
    set_entry<Bf16>(table, TypeId::BF16);
}

}  // namespace ql::kernels::simd
