// The scalar reference dot products: every weight type against a
// double-precision dot of the dequantized rows, the activation table, and
// argument checks.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "kernel_fixture.hpp"
#include "kernels/kernels.hpp"
#include "util/error.hpp"

namespace ql::test {
namespace {

using kernels::activation_type;

TEST(ActivationTypes, FollowGgmlPairing) {
    // ggml-cpu.c type_traits_cpu: the vec_dot type of each weight type.
    const std::map<TypeId, TypeId> expected = {
        {TypeId::F32, TypeId::F32},      {TypeId::F16, TypeId::F16},
        {TypeId::BF16, TypeId::BF16},    {TypeId::Q4_0, TypeId::Q8_0},
        {TypeId::Q4_1, TypeId::Q8_1},    {TypeId::Q5_0, TypeId::Q8_0},
        {TypeId::Q5_1, TypeId::Q8_1},    {TypeId::Q8_0, TypeId::Q8_0},
        {TypeId::Q1_0, TypeId::Q8_0},    {TypeId::Q2_0, TypeId::Q8_0},
        {TypeId::MXFP4, TypeId::Q8_0},   {TypeId::NVFP4, TypeId::Q8_0},
        {TypeId::IQ4_NL, TypeId::Q8_0},  {TypeId::Q2_K, TypeId::Q8_K},
        {TypeId::Q3_K, TypeId::Q8_K},    {TypeId::Q4_K, TypeId::Q8_K},
        {TypeId::Q5_K, TypeId::Q8_K},    {TypeId::Q6_K, TypeId::Q8_K},
        {TypeId::TQ1_0, TypeId::Q8_K},   {TypeId::TQ2_0, TypeId::Q8_K},
        {TypeId::IQ4_XS, TypeId::Q8_K},  {TypeId::IQ2_XXS, TypeId::Q8_K},
        {TypeId::IQ2_XS, TypeId::Q8_K},  {TypeId::IQ2_S, TypeId::Q8_K},
        {TypeId::IQ3_XXS, TypeId::Q8_K}, {TypeId::IQ3_S, TypeId::Q8_K},
        {TypeId::IQ1_S, TypeId::Q8_K},   {TypeId::IQ1_M, TypeId::Q8_K},
    };
    for (const auto& t : quant::all_types()) {
        const auto it = expected.find(t.id);
        if (it == expected.end()) {
            EXPECT_FALSE(activation_type(t.id).has_value()) << t.name;
        } else {
            ASSERT_TRUE(activation_type(t.id).has_value()) << t.name;
            EXPECT_EQ(*activation_type(t.id), it->second) << t.name;
            EXPECT_NE(kernels::scalar_kernels().find(t.id), nullptr) << t.name;
            EXPECT_NE(kernels::active_kernels().find(t.id), nullptr) << t.name;
        }
    }
    EXPECT_EQ(weight_types().size(), expected.size());
}

class VecDot : public ::testing::TestWithParam<TypeId> {};

// ggml's integer sums are exact; only the final float scaling and the float
// accumulation across blocks round. So the result agrees with the double
// dot of the dequantized rows to float rounding of the summed magnitudes.
TEST_P(VecDot, MatchesDoubleDotOfDequantizedRows) {
    const TypeId type = GetParam();
    constexpr int64_t kRows = 8, kCols = 1024;
    const auto w = random_matrix(kRows, kCols, 1234);
    const auto x = random_matrix(kRows, kCols, 99);
    const auto q = quantize_matrix(type, w, kRows, kCols);
    const size_t wbytes = q.size() / kRows;
    const size_t abytes = kernels::activation_row_bytes(type, kCols);
    std::vector<uint8_t> act(abytes);
    for (int64_t r = 0; r < kRows; ++r) {
        kernels::quantize_activations(type, x.data() + ((r * 3) % kRows) * kCols, act.data(),
                                      kCols);
        const void* wrow = q.data() + r * wbytes;
        const float got = kernels::vec_dot(type, kCols, wrow, act.data());
        const DotReference ref = reference_dot(type, kCols, wrow, act.data());
        EXPECT_GT(ref.magnitude, 0) << type_name(type) << " row " << r;
        EXPECT_NEAR(got, ref.value, 2e-6 * ref.magnitude + 1e-30)
            << type_name(type) << " row " << r;
        // The kernel this CPU runs (SIMD where there is one): the same up to rounding.
        EXPECT_NEAR(kernels::active_kernels().find(type)(kCols, wrow, act.data()), got,
                    1e-5 * ref.magnitude + 1e-30)
            << type_name(type) << " row " << r;
    }
}

// The high-precision mode is the double dot of the dequantized weights with
// the f32 activations.
TEST_P(VecDot, FloatModeIsDotOfDequantizedWeights) {
    const TypeId type = GetParam();
    constexpr int64_t kCols = 512;
    const auto w = random_matrix(1, kCols, 5);
    const auto x = random_matrix(1, kCols, 6);
    const auto q = quantize_matrix(type, w, 1, kCols);
    std::vector<float> deq(kCols), scratch(kCols);
    quant::dequantize(type, q.data(), deq.data(), kCols);
    double expected = 0;
    for (int64_t i = 0; i < kCols; ++i) expected += static_cast<double>(deq[i]) * x[i];
    EXPECT_EQ(kernels::vec_dot_float(type, kCols, q.data(), x.data(), scratch.data()), expected);
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, VecDot, ::testing::ValuesIn(weight_types()),
                         [](const auto& param_info) { return type_name(param_info.param); });

// Exact arithmetic on a hand-built case: Q8_0 weights of all ones times
// activations of all ones gives n (scales are powers of two).
TEST(VecDotExact, Q8_0OnesGiveN) {
    std::vector<float> ones(256, 1.0f);
    std::vector<uint8_t> w(8 * 34), a(8 * 34);
    quant::quantize(TypeId::Q8_0, ones.data(), w.data(), 1, 256, nullptr);
    kernels::quantize_activations(TypeId::Q8_0, ones.data(), a.data(), 256);
    // d = 1/127 rounded to fp16: each block sums 127 * 127 * d_w * d_a.
    const float d = quant::fp16_to_f32(quant::load_u16(w.data()));
    const float per_block = static_cast<float>(32 * 127 * 127) * (d * d);
    float expected = 0;
    for (int b = 0; b < 8; ++b) expected += per_block;
    EXPECT_EQ(kernels::vec_dot(TypeId::Q8_0, 256, w.data(), a.data()), expected);
    EXPECT_NEAR(expected, 256.0f, 0.5f);
}

TEST(VecDotArguments, RejectsBadTypesAndLengths) {
    std::vector<uint8_t> buf(4096);
    EXPECT_THROW(kernels::vec_dot(TypeId::Q8_K, 256, buf.data(), buf.data()), Error);
    EXPECT_THROW(kernels::vec_dot(TypeId::I8, 256, buf.data(), buf.data()), Error);
    EXPECT_THROW(kernels::vec_dot(TypeId::Q4_K, 100, buf.data(), buf.data()), Error);
    // NVFP4 blocks hold 64 values, but its Q8_0 activations 32: 96 is neither.
    EXPECT_THROW(kernels::vec_dot(TypeId::NVFP4, 96, buf.data(), buf.data()), Error);
    EXPECT_THROW(kernels::activation_row_bytes(TypeId::Q4_0, 0), Error);
    EXPECT_EQ(kernels::activation_row_bytes(TypeId::Q4_K, 512), 2u * 292u);
    EXPECT_EQ(kernels::activation_row_bytes(TypeId::Q4_1, 64), 2u * 36u);
    EXPECT_EQ(kernels::activation_row_bytes(TypeId::F16, 10), 20u);
}

// Our Q8_0 activation quantizer against ggml's reference quantizer bytes
// (golden/quant/q8_0.q; quantize_row_q8_0_ref).
TEST(ActivationQuantizers, Q8_0MatchesGgmlReferenceBytes) {
    const std::string dir = std::string(QL_SHARED_DIR) + "/golden/quant/";
    const std::string input = dir + "input.f32", golden = dir + "q8_0.q";
    std::FILE* fi = std::fopen(input.c_str(), "rb");
    std::FILE* fg = std::fopen(golden.c_str(), "rb");
    if (!fi || !fg) {
        if (fi) std::fclose(fi);
        if (fg) std::fclose(fg);
        GTEST_SKIP() << "no golden data";
    }
    std::vector<float> x(8 * 1024);
    std::vector<uint8_t> expected(8 * 32 * 34), got(expected.size());
    const size_t nx = std::fread(x.data(), 4, x.size(), fi);
    const size_t ng = std::fread(expected.data(), 1, expected.size(), fg);
    std::fclose(fi);
    std::fclose(fg);
    ASSERT_EQ(nx, x.size());
    ASSERT_EQ(ng, expected.size());
    for (int r = 0; r < 8; ++r)
        kernels::quantize_activations(TypeId::Q4_0, x.data() + r * 1024, got.data() + r * 32 * 34,
                                      1024);
    EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace ql::test
