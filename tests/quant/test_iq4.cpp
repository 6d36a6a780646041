// IQ4_NL and IQ4_XS: bit-exact dequantization against ggml, quantization
// error against ggml's, robustness on extreme rows, determinism.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "format_checks.hpp"
#include "quant/half.hpp"
#include "quant/iq4_common.hpp"

using namespace ql;
using quant::TypeId;

namespace {

const TypeId kTypes[] = {TypeId::IQ4_NL, TypeId::IQ4_XS};

}  // namespace

TEST(Iq4, GoldenDequantIq4Nl) {
    if (!test::expect_golden_dequant(TypeId::IQ4_NL, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ4_NL, true));
}

TEST(Iq4, GoldenDequantIq4Xs) {
    if (!test::expect_golden_dequant(TypeId::IQ4_XS, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ4_XS, true));
}

TEST(Iq4, ErrorBarIq4Nl) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ4_NL, 1.005);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ4_NL: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq4, ErrorBarIq4Xs) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ4_XS, 1.005);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ4_XS: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq4, NearestLevel) {
    for (int i = 0; i < 16; ++i) EXPECT_EQ(quant::nearest_iq4_level(quant::kIq4Levels[i]), i);
    EXPECT_EQ(quant::nearest_iq4_level(-1e300), 0);
    EXPECT_EQ(quant::nearest_iq4_level(1e300), 15);
    EXPECT_EQ(quant::nearest_iq4_level(-INFINITY), 0);
    EXPECT_EQ(quant::nearest_iq4_level(6.9), 8);  // 1 and 13: cut at 7
    EXPECT_EQ(quant::nearest_iq4_level(7.1), 9);
    // Just below the lookup table's ends (rounding must not step outside it).
    EXPECT_EQ(quant::nearest_iq4_level(std::nextafter(114.0, 0.0)), 15);
    EXPECT_EQ(quant::nearest_iq4_level(std::nextafter(-128.0, 0.0)), 0);
    EXPECT_EQ(quant::nearest_iq4_level(-128.0), 0);
    for (double v = -140; v < 130; v += 0.0625) {  // agrees with a plain scan
        int best = 0;
        for (int i = 1; i < 16; ++i)
            if (std::fabs(v - quant::kIq4Levels[i]) < std::fabs(v - quant::kIq4Levels[best]))
                best = i;
        const double gap = std::fabs(v - quant::kIq4Levels[quant::nearest_iq4_level(v)]);
        EXPECT_EQ(gap, std::fabs(v - quant::kIq4Levels[best])) << v;
    }
}

TEST(Iq4, ExtremeRowsStayFiniteDeterministicAndNoWorseThanZeros) {
    for (TypeId id : kTypes) test::expect_robust(id);
}

TEST(Iq4, ModerateRowsAreAccurate) {
    for (TypeId id : kTypes) test::expect_moderate_rows_accurate(id, 0.05);
}

TEST(Iq4, GoldenInputNoWorseThanGgml) {
    for (TypeId id : kTypes)
        if (!test::expect_golden_input_no_worse_than_ggml(id)) GTEST_SKIP() << "no golden data";
}

TEST(Iq4, RepresentableRowComesBackExactly) {
    // IQ4_NL: each block is an exact fp16 scale times table levels.
    std::vector<float> nl(64);
    for (int i = 0; i < 64; ++i) {
        const float d = i < 32 ? 0.5f : -0.0078125f;
        const int code = (i * 7 + 3) % 16;
        nl[i] = d * quant::kIq4Levels[i % 32 == 5 ? 0 : code];  // each block holds level -127
    }
    EXPECT_EQ(test::round_trip(TypeId::IQ4_NL, nl, static_cast<int64_t>(nl.size()), nullptr), nl);
    // IQ4_XS: super scale 2^-6, sub-scales -32 (widest), 5, -3, 17, ... times levels.
    std::vector<float> xs(256);
    const int subs[8] = {-32, 5, -3, 17, 31, -8, 1, 12};
    for (int i = 0; i < 256; ++i) {
        const float dl = 0.015625f * static_cast<float>(subs[i / 32]);
        const int code = i % 32 == 0 ? 0 : (i * 5 + 1) % 16;
        xs[i] = dl * quant::kIq4Levels[code];
    }
    EXPECT_EQ(test::round_trip(TypeId::IQ4_XS, xs, static_cast<int64_t>(xs.size()), nullptr), xs);
}

TEST(Iq4, MultiRowWithImportance) {
    // Rows are independent: one call over 4 rows equals 4 calls of one row,
    // and quantizing with the importance lowers the importance-weighted error.
    for (TypeId id : kTypes) test::expect_multi_row_importance(id, /*importance_must_help=*/true);
}
