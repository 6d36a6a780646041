// Legacy formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1: bit-exact dequantization
// against ggml, quantization error against ggml's, robustness, layout facts.
#include <cmath>
#include <cstring>

#include "format_checks.hpp"
#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

namespace {

constexpr TypeId kGolden[] = {TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1, TypeId::Q8_0};
constexpr TypeId kAll[] = {TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0,
                           TypeId::Q5_1, TypeId::Q8_0, TypeId::Q8_1};

}  // namespace

TEST(Legacy, GoldenDequant) {
    for (TypeId id : kGolden) {
        if (!test::expect_golden_dequant(id, false)) GTEST_SKIP() << "no golden data";
        EXPECT_TRUE(test::expect_golden_dequant(id, true)) << quant::type_traits(id).name;
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, false));
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, true));
    }
}

TEST(Legacy, ErrorBarQ4_0) {
    test::expect_error_bar(TypeId::Q4_0, 1.005);
}
TEST(Legacy, ErrorBarQ4_1) {
    test::expect_error_bar(TypeId::Q4_1, 1.005);
}
TEST(Legacy, ErrorBarQ5_0) {
    test::expect_error_bar(TypeId::Q5_0, 1.005);
}
TEST(Legacy, ErrorBarQ5_1) {
    test::expect_error_bar(TypeId::Q5_1, 1.005);
}
TEST(Legacy, ErrorBarQ8_0) {
    test::expect_error_bar(TypeId::Q8_0, 1.005);
}

TEST(Legacy, PlainQ8_0IsGgmlRoundToNearest) {
    // The activation path: the bytes equal ggml's reference quantizer's.
    const std::string dir = test::shared_dir() + "/golden/quant/";
    if (!test::file_exists(dir + "input.f32")) GTEST_SKIP() << "no golden data";
    const auto x = test::read_f32(dir + "input.f32");
    const auto expected = test::read_bytes(dir + "q8_0.q");
    std::vector<uint8_t> q;
    test::round_trip(TypeId::Q8_0, x, 1024, nullptr, &q);
    EXPECT_EQ(q, expected);
}

TEST(Legacy, Q8_1LayoutHoldsScaleAndScaledSum) {
    // Q8_1 has no golden file: check its layout facts against Q8_0's bytes.
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> x(256);
    for (auto& v : x) v = normal(rng);
    std::vector<uint8_t> q8_0, q8_1;
    const auto y0 = test::round_trip(TypeId::Q8_0, x, 256, nullptr, &q8_0);
    const auto y1 = test::round_trip(TypeId::Q8_1, x, 256, nullptr, &q8_1);
    EXPECT_EQ(y0, y1);
    for (int b = 0; b < 8; ++b) {
        const uint8_t* b0 = q8_0.data() + 34 * b;
        const uint8_t* b1 = q8_1.data() + 36 * b;
        EXPECT_EQ(std::memcmp(b0, b1, 2), 0) << "same d";
        EXPECT_EQ(std::memcmp(b0 + 2, b1 + 4, 32), 0) << "same codes";
        int sum = 0;
        for (int j = 0; j < 32; ++j) sum += static_cast<int8_t>(b1[4 + j]);
        const float d = quant::fp16_to_f32(quant::load_u16(b1));
        const float s = quant::fp16_to_f32(quant::load_u16(b1 + 2));
        EXPECT_NEAR(s, d * sum, std::fabs(d * sum) * 1e-3 + 1e-6) << "block " << b;
        // Round to nearest with the float scale, stored as fp16 (relative error
        // <= 2^-11, times codes up to 127): within 0.5 + 0.0625 steps.
        for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(y1[32 * b + j] - x[32 * b + j]), 0.57 * d);
    }
}

TEST(Legacy, Q8_1WithImportanceKeepsScaledSum) {
    std::mt19937 rng(2);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    std::vector<float> x(1024);
    for (auto& v : x) v = normal(rng);
    const auto w = test::random_importance(1024, 9);
    std::vector<uint8_t> q;
    const auto y = test::round_trip(TypeId::Q8_1, x, 1024, w.data(), &q);
    for (int b = 0; b < 32; ++b) {
        const uint8_t* blk = q.data() + 36 * b;
        int sum = 0;
        for (int j = 0; j < 32; ++j) sum += static_cast<int8_t>(blk[4 + j]);
        const float d = quant::fp16_to_f32(quant::load_u16(blk));
        EXPECT_EQ(quant::load_u16(blk + 2), quant::f32_to_fp16(static_cast<float>(sum) * d));
    }
    EXPECT_LT(test::weighted_error(x, y, w.data()),
              1e-4 * test::weighted_error(x, std::vector<float>(1024, 0.0f), w.data()));
}

TEST(Legacy, Robustness) {
    for (TypeId id : kAll) test::expect_robust(id);
}

TEST(Legacy, MultiRowWithImportance) {
    for (TypeId id : kAll) test::expect_multi_row_importance(id);
}

TEST(Legacy, ExactlyRepresentableRowsRoundTrip) {
    // Symmetric formats: x = d * q with q spanning the code range.
    std::mt19937 rng(4);
    for (auto [id, lo, hi] : {std::tuple{TypeId::Q4_0, -8, 7}, std::tuple{TypeId::Q5_0, -16, 15},
                              std::tuple{TypeId::Q8_0, -127, 127}}) {
        std::uniform_int_distribution<int> code(lo, hi);
        std::vector<float> x(256);
        for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * (i % 32 == 0 ? lo : code(rng));
        EXPECT_EQ(test::round_trip(id, x, 256, nullptr), x) << quant::type_traits(id).name;
        const auto w = test::random_importance(256, 1);
        EXPECT_EQ(test::round_trip(id, x, 256, w.data()), x) << quant::type_traits(id).name;
    }
    // Affine formats: x = m + d * q with q spanning [0, qmax].
    for (auto [id, qmax] : {std::pair{TypeId::Q4_1, 15}, std::pair{TypeId::Q5_1, 31}}) {
        std::uniform_int_distribution<int> code(0, qmax);
        std::vector<float> x(256);
        for (size_t i = 0; i < x.size(); ++i) {
            const int q = i % 32 == 0 ? 0 : (i % 32 == 1 ? qmax : code(rng));
            x[i] = -3.0f + 0.125f * static_cast<float>(q);
        }
        EXPECT_EQ(test::round_trip(id, x, 256, nullptr), x) << quant::type_traits(id).name;
    }
}

TEST(Legacy, ImportanceShiftsErrorToWeightedColumns) {
    // Heavily weighted columns must come out more accurate than with plain quantization.
    std::mt19937 rng(8);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(1024), w(1024, 0.01f);
    for (auto& v : x) v = normal(rng);
    for (size_t i = 0; i < w.size(); i += 7) w[i] = 100.0f;
    for (TypeId id : {TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1}) {
        const auto y_plain = test::round_trip(id, x, 1024, nullptr);
        const auto y_imp = test::round_trip(id, x, 1024, w.data());
        EXPECT_LT(test::weighted_error(x, y_imp, w.data()),
                  0.9 * test::weighted_error(x, y_plain, w.data()))
            << quant::type_traits(id).name;
    }
}
