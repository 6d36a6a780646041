// The f32 vector operations of the forward pass: the dispatched versions
// agree with the scalar reference for every length (tails included).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/vec_f32.hpp"
#include "util/cpu.hpp"

namespace {

using namespace ql::kernels;

std::vector<float> random_vector(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = g(rng);
    return v;
}

TEST(VecF32, DotMatchesScalarForEveryLength) {
    for (int64_t n = 0; n <= 300; ++n) {
        const auto a = random_vector(n, 1), b = random_vector(n, 2);
        double magnitude = 0;
        for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(a[i]) * b[i]);
        const float ref = scalar::dot_f32(a.data(), b.data(), n);
        EXPECT_NEAR(dot_f32(a.data(), b.data(), n), ref, 1e-5 * magnitude + 1e-30) << n;
        if (ql::cpu_features().avx2_kernels()) {
            EXPECT_NEAR(simd::dot_f32_avx2(a.data(), b.data(), n), ref, 1e-5 * magnitude + 1e-30);
        }
        if (ql::cpu_features().avx512_kernels()) {
            EXPECT_NEAR(simd::dot_f32_avx512(a.data(), b.data(), n), ref, 1e-5 * magnitude + 1e-30);
        }
    }
}

TEST(VecF32, AxpyMatchesScalarAndLeavesTheRestAlone) {
    for (int64_t n = 0; n <= 70; ++n) {
        const auto x = random_vector(n, 3);
        auto ref = random_vector(n + 1, 4);
        auto got = ref;
        scalar::axpy_f32(ref.data(), 0.75f, x.data(), n);
        axpy_f32(got.data(), 0.75f, x.data(), n);
        for (int64_t i = 0; i < n; ++i)
            EXPECT_NEAR(got[i], ref[i], 1e-6f * (1 + std::fabs(ref[i])));
        EXPECT_EQ(got[static_cast<size_t>(n)], ref[static_cast<size_t>(n)]) << "wrote past the end";
    }
}

}  // namespace
