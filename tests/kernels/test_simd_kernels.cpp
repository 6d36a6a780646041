// Every SIMD dot product this CPU can run, against the scalar reference: the
// same value up to float rounding (1e-5 of Σ|w_i a_i|), for every weight type
// and several row lengths; vec_dot_multi against vec_dot for 1..kMaxActs rows.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "kernel_fixture.hpp"
#include "kernels/kernels.hpp"
#include "kernels/matmul.hpp"

namespace ql::test {
namespace {

using kernels::KernelTable;
using kernels::SimdLevel;

const char* level_name(SimdLevel level) {
    return level == SimdLevel::Avx512 ? "avx512" : "avx2";
}

struct Rows {
    std::vector<uint8_t> weights;  // [n_rows] weight rows
    std::vector<uint8_t> acts;     // [n_acts] activation rows
    size_t w_bytes = 0, a_bytes = 0;
};

// Random weight rows of `type` and activation rows quantized for it.
Rows make_rows(TypeId type, int64_t n, int64_t n_rows, int64_t n_acts, uint32_t seed) {
    Rows r;
    r.weights = quantize_matrix(type, random_matrix(n_rows, n, seed), n_rows, n);
    r.w_bytes = r.weights.size() / static_cast<size_t>(n_rows);
    r.a_bytes = kernels::activation_row_bytes(type, n);
    r.acts.resize(r.a_bytes * static_cast<size_t>(n_acts));
    const auto x = random_matrix(n_acts, n, seed + 1);
    for (int64_t i = 0; i < n_acts; ++i)
        kernels::quantize_activations(type, x.data() + i * n, r.acts.data() + i * r.a_bytes, n);
    return r;
}

class SimdKernels : public ::testing::TestWithParam<std::tuple<SimdLevel, TypeId>> {
  protected:
    const KernelTable* table() const { return kernels::simd_kernels(std::get<0>(GetParam())); }
    TypeId type() const { return std::get<1>(GetParam()); }
};

TEST_P(SimdKernels, VecDotMatchesScalarReference) {
    const KernelTable* simd = table();
    if (!simd) GTEST_SKIP() << level_name(std::get<0>(GetParam())) << " not available here";
    const auto dot = simd->find(type());
    const auto ref = kernels::scalar_kernels().find(type());
    ASSERT_NE(dot, nullptr);
    if (dot == ref) GTEST_SKIP() << "no SIMD kernel for " << type_name(type());
    const int64_t block = 256;  // a multiple of every block size
    for (int64_t n : {block, 2 * block, 4 * block, 11 * block}) {
        const int64_t n_rows = 8;
        const Rows r = make_rows(type(), n, n_rows, n_rows, static_cast<uint32_t>(n));
        for (int64_t i = 0; i < n_rows; ++i) {
            const uint8_t* w = r.weights.data() + i * r.w_bytes;
            const uint8_t* a = r.acts.data() + i * r.a_bytes;
            const double expected = ref(n, w, a);
            const double got = dot(n, w, a);
            const double scale = reference_dot(type(), n, w, a).magnitude;
            ASSERT_NEAR(got, expected, 1e-5 * scale + 1e-30)
                << type_name(type()) << " n=" << n << " row " << i;
        }
    }
}

TEST_P(SimdKernels, VecDotMultiMatchesVecDot) {
    const KernelTable* simd = table();
    if (!simd) GTEST_SKIP() << level_name(std::get<0>(GetParam())) << " not available here";
    const auto multi = simd->find_multi(type());
    if (!multi) GTEST_SKIP() << "no vec_dot_multi for " << type_name(type());
    const auto dot = simd->find(type());
    const int64_t n = 1024;
    const Rows r = make_rows(type(), n, 1, kernels::kMaxActs, 7);
    for (int n_act = 1; n_act <= kernels::kMaxActs; ++n_act) {
        float out[kernels::kMaxActs];
        multi(n, r.weights.data(), r.acts.data(), r.a_bytes, n_act, out);
        for (int j = 0; j < n_act; ++j) {
            const uint8_t* a = r.acts.data() + j * r.a_bytes;
            const double scale = reference_dot(type(), n, r.weights.data(), a).magnitude;
            ASSERT_NEAR(out[j], dot(n, r.weights.data(), a), 1e-5 * scale + 1e-30)
                << type_name(type()) << " n_act=" << n_act << " row " << j;
        }
    }
}

// The whole matrix product with a SIMD table against the scalar one.
TEST_P(SimdKernels, MatmulMatchesScalarTable) {
    const KernelTable* simd = table();
    if (!simd) GTEST_SKIP() << level_name(std::get<0>(GetParam())) << " not available here";
    const int64_t n_in = 512, n_out = 24, n_tokens = 11;
    const auto wq = quantize_matrix(type(), random_matrix(n_out, n_in, 3), n_out, n_in);
    const auto x = random_matrix(n_tokens, n_in, 4);
    const kernels::MatmulWeights w{type(), n_out, n_in, wq.data(), wq.size() / n_out};
    std::vector<float> ours(n_tokens * n_out), ref(n_tokens * n_out);
    kernels::matmul_with(*simd, w, x.data(), ours.data(), n_tokens,
                         kernels::ActivationMode::Quantized, 2);
    kernels::matmul_with(kernels::scalar_kernels(), w, x.data(), ref.data(), n_tokens,
                         kernels::ActivationMode::Quantized, 2);
    double worst = 0, top = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        worst = std::max(worst, std::fabs(double(ours[i]) - ref[i]));
        top = std::max(top, std::fabs(double(ref[i])));
    }
    EXPECT_LE(worst, 1e-4 * top) << type_name(type());
}

std::vector<std::tuple<SimdLevel, TypeId>> all_cases() {
    std::vector<std::tuple<SimdLevel, TypeId>> out;
    for (SimdLevel level : {SimdLevel::Avx2, SimdLevel::Avx512})
        for (TypeId t : weight_types()) out.emplace_back(level, t);
    return out;
}

INSTANTIATE_TEST_SUITE_P(AllLevels, SimdKernels, ::testing::ValuesIn(all_cases()),
                         [](const auto& case_info) {
                             return std::string(level_name(std::get<0>(case_info.param))) + "_" +
                                    type_name(std::get<1>(case_info.param));
                         });

}  // namespace
}  // namespace ql::test
