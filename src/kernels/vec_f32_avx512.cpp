#include <immintrin.h>

#include "kernels/vec_f32.hpp"

namespace ql::kernels::simd {

namespace {

// Horizontal sum through 256-bit halves (GCC 12 warns on the cast-based
// _mm512_reduce_add_ps under -Werror).
float horizontal_sum(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    const __m128 s = _mm_add_ps(_mm256_extractf128_ps(h, 0), _mm256_extractf128_ps(h, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

}  // namespace

float dot_f32_avx512(const float* a, const float* b, int64_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= n; i += 16)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < n) {
        const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + i),
                               _mm512_maskz_loadu_ps(tail, b + i), acc1);
    }
    return horizontal_sum(_mm512_add_ps(acc0, acc1));
}

void axpy_f32_avx512(float* y, float alpha, const float* x, int64_t n) {
    const __m512 a = _mm512_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
        const __m512 r = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(tail, x + i),
                                         _mm512_maskz_loadu_ps(tail, y + i));
        _mm512_mask_storeu_ps(y + i, tail, r);
    }
}

}  // namespace ql::kernels::simd
