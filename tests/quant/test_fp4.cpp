// MXFP4 and NVFP4: bit-exact dequantization against ggml, quantization error
// against ggml's, robustness, scale encodings, exact round trips.
#include <cmath>

#include "format_checks.hpp"
#include "harness.hpp"

using namespace ql;
using quant::TypeId;

TEST(Fp4, GoldenDequant) {
    for (TypeId id : {TypeId::MXFP4, TypeId::NVFP4}) {
        if (!test::expect_golden_dequant(id, false)) GTEST_SKIP() << "no golden data";
        EXPECT_TRUE(test::expect_golden_dequant(id, true)) << quant::type_traits(id).name;
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, false));
        EXPECT_TRUE(test::expect_scalar_golden_dequant(id, true));
    }
}

TEST(Fp4, ErrorBarMXFP4) {
    test::expect_error_bar(TypeId::MXFP4, 1.005);
}
TEST(Fp4, ErrorBarNVFP4) {
    test::expect_error_bar(TypeId::NVFP4, 1.005);
}

TEST(Fp4, Robustness) {
    for (TypeId id : {TypeId::MXFP4, TypeId::NVFP4}) test::expect_robust(id);
}

TEST(Fp4, MultiRowWithImportance) {
    for (TypeId id : {TypeId::MXFP4, TypeId::NVFP4}) test::expect_multi_row_importance(id);
}

TEST(Fp4, Mxfp4ScaleBytesDecodeAsPowersOfTwo) {
    // A block with value 1 at code 2 (doubled E2M1 = 2) and e = 127: d = 2^-1.
    std::vector<uint8_t> block(17, 0);
    block[0] = 127;
    block[1] = 0x2 | (0xf << 4);  // value 0: +2, value 16: -12
    std::vector<float> y(32);
    quant::dequantize(TypeId::MXFP4, block.data(), y.data(), 32);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[16], -6.0f);
    for (uint8_t e : {0, 1, 2, 200, 252}) {
        block[0] = e;
        quant::dequantize(TypeId::MXFP4, block.data(), y.data(), 32);
        EXPECT_EQ(y[0], std::ldexp(2.0f, e - 128)) << int(e);
    }
}

TEST(Fp4, Nvfp4ScaleBytesDecodeAsE4M3) {
    std::vector<uint8_t> block(36, 0);
    // Group scales: 0x38 = 1.0, 0x01 = 2^-9 (subnormal), 0x7e = 448, 0x7f = NaN -> 0.
    block[0] = 0x38;
    block[1] = 0x01;
    block[2] = 0x7e;
    block[3] = 0x7f;
    for (int g = 0; g < 4; ++g) block[4 + 8 * g] = 0x7;  // first value of each group: 12
    std::vector<float> y(64);
    quant::dequantize(TypeId::NVFP4, block.data(), y.data(), 64);
    EXPECT_EQ(y[0], 6.0f);  // E2M1 value 6 times 1.0
    EXPECT_EQ(y[16], 6.0f * 0x1p-9f);
    EXPECT_EQ(y[32], 6.0f * 448.0f);
    EXPECT_EQ(y[48], 0.0f);
}

TEST(Fp4, ExactlyRepresentableRowsRoundTrip) {
    // Every value an E2M1 value times a power of two shared per block.
    const float e2m1[] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    std::mt19937 rng(6);
    std::uniform_int_distribution<int> pick(0, 15);
    std::vector<float> x(256);
    for (size_t i = 0; i < x.size(); ++i) {
        const int c = i % 16 == 0 ? 7 : pick(rng);  // each group holds the max value
        x[i] = (c & 8 ? -1.0f : 1.0f) * e2m1[c & 7] * 0.25f;
    }
    const auto w = test::random_importance(256, 8);
    for (TypeId id : {TypeId::MXFP4, TypeId::NVFP4}) {
        EXPECT_EQ(test::round_trip(id, x, 256, nullptr), x) << quant::type_traits(id).name;
        EXPECT_EQ(test::round_trip(id, x, 256, w.data()), x) << quant::type_traits(id).name;
    }
}

TEST(Fp4, Nvfp4TinyRowsBeatZeros) {
    // Rows below the smallest E4M3 scale still use the smallest scale where it helps
    // (ggml writes zeros there).
    std::mt19937 rng(9);
    std::normal_distribution<float> normal(0.0f, 2e-3f);
    std::vector<float> x(1024);
    for (auto& v : x) v = normal(rng);
    const auto y = test::round_trip(TypeId::NVFP4, x, 1024, nullptr);
    const double err = test::weighted_error(x, y, nullptr);
    const double zero_err = test::weighted_error(x, std::vector<float>(1024, 0.0f), nullptr);
    EXPECT_LT(err, 0.9 * zero_err);
}
