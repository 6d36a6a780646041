// Small f32 vector operations of the forward pass (attention scores and
// value sums), dispatched once to AVX-512, AVX2 or the scalar reference.
#pragma once

#include <cstdint>

namespace ql::kernels {

// Σ a[i] * b[i], i < n.
float dot_f32(const float* a, const float* b, int64_t n);

// y[i] += alpha * x[i], i < n.
void axpy_f32(float* y, float alpha, const float* x, int64_t n);

namespace scalar {
float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float* y, float alpha, const float* x, int64_t n);
}  // namespace scalar

namespace simd {
float dot_f32_avx2(const float* a, const float* b, int64_t n);
void axpy_f32_avx2(float* y, float alpha, const float* x, int64_t n);
float dot_f32_avx512(const float* a, const float* b, int64_t n);
void axpy_f32_avx512(float* y, float alpha, const float* x, int64_t n);
}  // namespace simd

}  // namespace ql::kernels
