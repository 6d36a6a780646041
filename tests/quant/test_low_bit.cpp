// Q1_0 and Q2_0: bit-exact dequantization against ggml, quantization error
// against ggml's, robustness, exact round trips.
#include <cmath>

#include "format_checks.hpp"
#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

TEST(LowBit, GoldenDequant) {
    for (TypeId id : {TypeId::Q1_0, TypeId::Q2_0}) {
        if (!test::expect_golden_dequant(id, false)) GTEST_SKIP() << "no golden data";
        EXPECT_TRUE(test::expect_golden_dequant(id, true)) << quant::type_traits(id).name;
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, false));
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, true));
    }
}

TEST(LowBit, ErrorBarQ1_0) {
    test::expect_error_bar(TypeId::Q1_0, 1.005);
}
TEST(LowBit, ErrorBarQ2_0) {
    test::expect_error_bar(TypeId::Q2_0, 1.005);
}

TEST(LowBit, Robustness) {
    for (TypeId id : {TypeId::Q1_0, TypeId::Q2_0}) test::expect_robust(id);
}

TEST(LowBit, MultiRowWithImportance) {
    for (TypeId id : {TypeId::Q1_0, TypeId::Q2_0}) test::expect_multi_row_importance(id);
}

TEST(LowBit, Q1_0ScaleIsWeightedMeanMagnitude) {
    // Signs are kept; the scale is the (weighted) mean of |x|, up to fp16 rounding.
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> x(128);
    for (auto& v : x) v = normal(rng);
    const auto w = test::random_importance(128, 2);
    for (const float* imp : {static_cast<const float*>(nullptr), w.data()}) {
        std::vector<uint8_t> q;
        const auto y = test::round_trip(TypeId::Q1_0, x, 128, imp, &q);
        double sw = 0, swa = 0;
        for (int i = 0; i < 128; ++i) {
            sw += imp ? imp[i] : 1.0;
            swa += (imp ? imp[i] : 1.0) * std::fabs(x[i]);
            EXPECT_EQ(std::signbit(y[i]), std::signbit(x[i])) << i;
        }
        const float d = quant::fp16_to_f32(quant::load_u16(q.data()));
        EXPECT_NEAR(d, swa / sw, 2e-3 * swa / sw);
    }
}

TEST(LowBit, ExactlyRepresentableRowsRoundTrip) {
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> sign(0, 1), code(-1, 2);
    std::vector<float> x1(256), x2(256);
    for (auto& v : x1) v = sign(rng) ? 0.75f : -0.75f;
    for (size_t i = 0; i < x2.size(); ++i) x2[i] = -0.5f * (i % 64 == 0 ? 2 : code(rng));
    const auto w = test::random_importance(256, 4);
    for (const float* imp : {static_cast<const float*>(nullptr), w.data()}) {
        EXPECT_EQ(test::round_trip(TypeId::Q1_0, x1, 256, imp), x1);
        EXPECT_EQ(test::round_trip(TypeId::Q2_0, x2, 256, imp), x2);
    }
}

TEST(LowBit, Q2_0UsesBothScaleSigns) {
    // A block whose large values are negative is best served by a negative
    // scale (codes -1..2 times d < 0 reach -2|d|): exact for {-2, -1, 0, 1} * 0.5.
    std::vector<float> x(64);
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = 0.5f * static_cast<float>(static_cast<int>(i % 4) - 2);
    std::vector<uint8_t> q;
    EXPECT_EQ(test::round_trip(TypeId::Q2_0, x, 64, nullptr, &q), x);
    EXPECT_LT(quant::fp16_to_f32(quant::load_u16(q.data())), 0.0f);
}
