// AVX-512 versions of the activation quantizers, byte for byte the scalar
// ones (activations.cpp for Q8_0 / Q8_1 as the peer's x86 backend rounds
// them, quant/kquants_q8.cpp for Q8_K). kernel_table.cpp calls them where
// the CPU has our AVX-512 set; tests/kernels/test_simd_activations.cpp
// proves the bytes equal.
//
// Why the bytes agree:
// - |x| maxima: vmaxps returns its second operand when either is NaN, so
//   max(|x|, running) skips NaNs exactly as the scalar comparisons do.
// - Products are single rounded float multiplies in both versions.
// - Rounding: vcvtps2dq rounds in the current mode, as nearbyint does; the
//   Q8_0 clamp to [-128, 127] happens in float before it (the bounds are
//   integers, so clamping before or after rounding is the same, and NaN
//   passes through the clamp as in std::clamp).
// - int -> int8: vpmovdb keeps the low byte, as the scalar casts do (a NaN
//   becomes INT_MIN in both, hence 0).
// - The fp16 scale: vcvtps2ph with round-to-nearest-even equals
//   quant::f32_to_fp16 for every non-NaN float (the scale is never NaN).
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "quant/types.hpp"

namespace ql::kernels::act {

namespace {

// Largest lane (no NaN left in v).
float hmax(__m512 v) {
    v = _mm512_max_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0x4e));
    v = _mm512_max_ps(v, _mm512_maskz_shuffle_f32x4(0xffff, v, v, 0xb1));
    __m128 h = _mm512_maskz_extractf32x4_ps(0xf, v, 0);
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

uint16_t to_fp16(float f) {
    return static_cast<uint16_t>(
        _mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0));
}

void store16(uint8_t* p, uint16_t v) {
    std::memcpy(p, &v, 2);
}

// One 32-value block as the peer's x86 Q8_0 rounds it: q [32] at `qs`;
// returns the f32 scale, and the quant sum in `sum`.
float q8_0_block(const float* x, uint8_t* qs, int* sum) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    __m512 m = _mm512_max_ps(_mm512_abs_ps(v0), _mm512_setzero_ps());
    m = _mm512_max_ps(_mm512_abs_ps(v1), m);
    const float amax = hmax(m);
    const float multiplier = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m512 mul = _mm512_set1_ps(multiplier);
    const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    const __m512 c0 = _mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_mul_ps(v0, mul)));
    const __m512 c1 = _mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_mul_ps(v1, mul)));
    const __m128i q0 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(c0));
    const __m128i q1 = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(c1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), q0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16), q1);
    if (sum) {
        const __m256i w = _mm256_add_epi16(_mm256_cvtepi8_epi16(q0), _mm256_cvtepi8_epi16(q1));
        const __m256i d = _mm256_madd_epi16(w, _mm256_set1_epi16(1));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1));
        s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
        *sum = _mm_cvtsi128_si32(s) + _mm_extract_epi32(s, 1);
    }
    return amax / 127.0f;
}

}  // namespace

void quantize_q8_0_x86_avx512(const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);  // n/32 blocks of 34 bytes
    for (int64_t b = 0; b < n / 32; ++b, out += 34)
        store16(out, to_fp16(q8_0_block(x + b * 32, out + 2, nullptr)));
}

void quantize_q8_1_x86_avx512(const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);  // n/32 blocks of 36 bytes
    for (int64_t b = 0; b < n / 32; ++b, out += 36) {
        int sum = 0;
        const float d = q8_0_block(x + b * 32, out + 4, &sum);
        store16(out, to_fp16(d));
        store16(out + 2, to_fp16(d * static_cast<float>(sum)));
    }
}

// Q8_K: d = -max/127 with max the first value of largest magnitude; levels
// min(round(x * iscale), 127); bsums per 16. A block whose iscale overflows
// (max subnormal) goes to the reference quantizer.
void quantize_q8_k_avx512(const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);  // n/256 blocks of 292 bytes
    for (int64_t b = 0; b < n / 256; ++b, out += 292, x += 256) {
        __m512 m = _mm512_setzero_ps();
        for (int k = 0; k < 16; ++k)
            m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 16 * k)), m);
        const float amax = hmax(m);
        if (amax == 0.0f) {
            std::memset(out, 0, 292);
            continue;
        }
        const __m512 am = _mm512_set1_ps(amax);
        int first = 0;
        for (int k = 0; k < 16; ++k) {
            const __mmask16 eq =
                _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + 16 * k)), am, _CMP_EQ_OQ);
            if (eq) {
                first = 16 * k + static_cast<int>(std::countr_zero(static_cast<unsigned>(eq)));
                break;
            }
        }
        const float iscale = -127.f / x[first];
        if (!std::isfinite(iscale)) {
            quant::quantize(quant::TypeId::Q8_K, x, out, 1, 256, nullptr);
            continue;
        }
        float d = 1 / iscale;
        while (!std::isfinite(d * 127.f)) d = std::nextafter(d, 0.0f);
        std::memcpy(out, &d, 4);
        const __m512 is = _mm512_set1_ps(iscale);
        const __m512i top = _mm512_set1_epi32(127);
        uint8_t* qs = out + 4;
        for (int k = 0; k < 16; ++k) {
            const __m512i q = _mm512_min_epi32(
                _mm512_cvtps_epi32(_mm512_mul_ps(is, _mm512_loadu_ps(x + 16 * k))), top);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16 * k), _mm512_cvtepi32_epi8(q));
        }
        // bsums: byte sums by 4 (vpdpbusd with ones), then by 16 per 128-bit lane.
        const __m512i ones = _mm512_set1_epi8(1);
        __m512i s[4];
        for (int j = 0; j < 4; ++j) {
            __m512i t =
                _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, _mm512_loadu_si512(qs + 64 * j));
            t = _mm512_add_epi32(t, _mm512_shuffle_epi32(t, _MM_PERM_BADC));
            s[j] = _mm512_add_epi32(t, _mm512_shuffle_epi32(t, _MM_PERM_CDAB));
        }
        // dword 4k + j now holds group 4j + k; reorder to group order.
        __m512i r = _mm512_mask_blend_epi32(0x2222, s[0], s[1]);
        r = _mm512_mask_blend_epi32(0x4444, r, s[2]);
        r = _mm512_mask_blend_epi32(0x8888, r, s[3]);
        const __m512i order =
            _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        r = _mm512_permutexvar_epi32(order, r);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 256), _mm512_cvtepi32_epi16(r));
    }
}

}  // namespace ql::kernels::act
