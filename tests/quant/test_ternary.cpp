// TQ1_0 and TQ2_0: bit-exact dequantization against ggml, quantization error
// against ggml's, robustness, exact round trips of ternary rows.
#include <cmath>

#include "format_checks.hpp"
#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

namespace {

// y holds 256-value blocks of -d, 0, +d (d read from each block at d_offset),
// using all three values on gaussian data.
void expect_ternary_blocks(const std::vector<float>& x, const std::vector<float>& y,
                           const std::vector<uint8_t>& q, int type_size, int d_offset) {
    for (size_t b = 0; b < x.size() / 256; ++b) {
        const float d = quant::fp16_to_f32(quant::load_u16(q.data() + type_size * b + d_offset));
        EXPECT_GT(d, 0.0f);
        int zeros = 0;
        for (int i = 0; i < 256; ++i) {
            const float v = y[256 * b + i];
            EXPECT_TRUE(v == 0.0f || v == d || v == -d) << v;
            zeros += v == 0.0f;
        }
        EXPECT_GT(zeros, 0);  // an optimal ternary fit of gaussian data uses all three
        EXPECT_LT(zeros, 256);
    }
}

}  // namespace

TEST(Ternary, GoldenDequant) {
    for (TypeId id : {TypeId::TQ1_0, TypeId::TQ2_0}) {
        if (!test::expect_golden_dequant(id, false)) GTEST_SKIP() << "no golden data";
        EXPECT_TRUE(test::expect_golden_dequant(id, true)) << quant::type_traits(id).name;
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, false));
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, true));
    }
}

TEST(Ternary, ErrorBarTQ1_0) {
    test::expect_error_bar(TypeId::TQ1_0, 1.005);
}
TEST(Ternary, ErrorBarTQ2_0) {
    test::expect_error_bar(TypeId::TQ2_0, 1.005);
}

TEST(Ternary, Robustness) {
    for (TypeId id : {TypeId::TQ1_0, TypeId::TQ2_0}) test::expect_robust(id);
}

TEST(Ternary, MultiRowWithImportance) {
    for (TypeId id : {TypeId::TQ1_0, TypeId::TQ2_0}) test::expect_multi_row_importance(id);
}

TEST(Ternary, TernaryRowsRoundTripExactly) {
    // Value i is trit (i % 5) of 7i mod 243: a mix of all trit patterns, times 0.375.
    std::vector<float> x(1024);
    for (size_t i = 0; i < x.size(); ++i) {
        int v = static_cast<int>(i * 7 % 243), digit = static_cast<int>(i % 5);
        for (int k = 0; k < digit; ++k) v /= 3;
        x[i] = 0.375f * static_cast<float>(v % 3 - 1);
    }
    for (int b = 0; b < 4; ++b) x[b * 256] = 0.375f;  // every block reaches +d
    const auto w = test::random_importance(1024, 12);
    for (TypeId id : {TypeId::TQ1_0, TypeId::TQ2_0}) {
        for (const float* imp : {static_cast<const float*>(nullptr), w.data()}) {
            EXPECT_EQ(test::round_trip(id, x, 1024, imp), x) << quant::type_traits(id).name;
        }
    }
}

TEST(Ternary, OnlyTritsAreWritten) {
    // Gaussian data: every decoded value is -d, 0 or +d of its block (TQ2_0's
    // code 3 is never used: llama.cpp's kernels do not expect it).
    std::mt19937 rng(13);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(512);
    for (auto& v : x) v = normal(rng);
    for (auto [id, d_offset] : {std::pair{TypeId::TQ1_0, 52}, std::pair{TypeId::TQ2_0, 64}}) {
        std::vector<uint8_t> q;
        const auto y = test::round_trip(id, x, 512, nullptr, &q);
        const int type_size = static_cast<int>(quant::type_traits(id).type_size);
        expect_ternary_blocks(x, y, q, type_size, d_offset);
    }
}

TEST(Ternary, Tq2_0DecodesEveryCodeLikeGgml) {
    // Codes 0..3 decode to (code - 1) * d, code 3 included; value i of the
    // block sits at bits 2*((i % 128) / 32) of byte 32*(i / 128) + i % 32.
    std::vector<uint8_t> block(66, 0);
    block[0] = 0b11100100;       // values 0, 32, 64, 96 get codes 0, 1, 2, 3
    block[32 + 5] = 0b00000011;  // value 128 + 5 gets code 3
    quant::store_u16(block.data() + 64, quant::f32_to_fp16(0.5f));
    std::vector<float> y(256);
    quant::dequantize(TypeId::TQ2_0, block.data(), y.data(), 256);
    EXPECT_EQ(y[0], -0.5f);
    EXPECT_EQ(y[32], 0.0f);
    EXPECT_EQ(y[64], 0.5f);
    EXPECT_EQ(y[96], 1.0f);
    EXPECT_EQ(y[133], 1.0f);
    EXPECT_EQ(y[1], -0.5f);  // code 0 everywhere else
}
