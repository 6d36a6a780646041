#include "kernels/vec_f32.hpp"

#include "util/cpu.hpp"

namespace ql::kernels {

namespace scalar {

float dot_f32(const float* a, const float* b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void axpy_f32(float* y, float alpha, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace scalar

namespace {

struct VecF32 {
    float (*dot)(const float*, const float*, int64_t);
    void (*axpy)(float*, float, const float*, int64_t);
};

const VecF32& chosen() {
    static const VecF32 table = [] {
        const CpuFeatures& cpu = cpu_features();
        if (cpu.avx512_kernels()) return VecF32{simd::dot_f32_avx512, simd::axpy_f32_avx512};
        if (cpu.avx2_kernels()) return VecF32{simd::dot_f32_avx2, simd::axpy_f32_avx2};
        return VecF32{scalar::dot_f32, scalar::axpy_f32};
    }();
    return table;
}

}  // namespace

float dot_f32(const float* a, const float* b, int64_t n) {
    return chosen().dot(a, b, n);
}

void axpy_f32(float* y, float alpha, const float* x, int64_t n) {
    chosen().axpy(y, alpha, x, n);
}

}  // namespace ql::kernels
