// IQ3_XXS and IQ3_S: bit-exact dequantization against ggml, quantization
// error against ggml's, robustness on extreme rows, determinism, codebook
// search.
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "format_checks.hpp"
#include "quant/half.hpp"
#include "quant/iq3_grids.hpp"
#include "quant/iq3_lattice.hpp"

using namespace ql;
using quant::TypeId;

namespace {

const TypeId kTypes[] = {TypeId::IQ3_XXS, TypeId::IQ3_S};

}  // namespace
TEST(Iq3, GoldenDequantIq3Xxs) {
    if (!test::expect_golden_dequant(TypeId::IQ3_XXS, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ3_XXS, true));
}

TEST(Iq3, GoldenDequantIq3S) {
    if (!test::expect_golden_dequant(TypeId::IQ3_S, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ3_S, true));
}

TEST(Iq3, ErrorBarIq3Xxs) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ3_XXS, 1.10);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ3_XXS: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq3, ErrorBarIq3S) {
    const auto start = std::chrono::steady_clock::now();
    test::expect_error_bar(TypeId::IQ3_S, 1.10);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("IQ3_S: 2 x 256x1024 quantized in %.2f s\n", s);
}

TEST(Iq3, SignTableHasEvenParity) {
    for (int k = 0; k < 128; ++k) {
        EXPECT_EQ(quant::kEvenSigns[k] & 127, k);
        EXPECT_EQ(std::popcount(unsigned(quant::kEvenSigns[k])) % 2, 0) << k;
    }
}

// Fraction of random targets for which the per-cell candidate lists miss the
// exact nearest point (never finding a better one than the exhaustive scan).
double search_miss_rate(const quant::iq3::Codebook& book, float min_weight) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> target(-0.1f * book.top_level(), 1.1f * book.top_level());
    std::uniform_real_distribution<float> weight(min_weight, 1.0f);
    int misses = 0;
    const int trials = 20000;
    for (int n = 0; n < trials; ++n) {
        float t[4], w[4];
        for (int i = 0; i < 4; ++i) t[i] = target(rng), w[i] = weight(rng);
        auto err = [&](int p) {
            float e = 0;
            for (int i = 0; i < 4; ++i)
                e += w[i] * (t[i] - book.point(p)[i]) * (t[i] - book.point(p)[i]);
            return e;
        };
        const float fast = err(book.best_point(t, w));
        const float exact = err(book.best_point_exhaustive(t, w));
        EXPECT_GE(fast, exact);
        if (fast > exact * 1.0001f) ++misses;
    }
    return double(misses) / trials;
}

TEST(Iq3, CodebookSearchFindsNearestPoint) {
    for (const auto* book : {&quant::iq3::xxs_codebook(), &quant::iq3::s_codebook()}) {
        const double equal = search_miss_rate(*book, 1.0f);
        const double unequal = search_miss_rate(*book, 0.05f);
        EXPECT_EQ(equal, 0.0) << book->size() << "-point codebook, equal weights";
        EXPECT_LT(unequal, 0.01) << book->size() << "-point codebook, weights 0.05..1";
        std::printf("%d-point codebook: %.1f candidates per cell, misses %.4f%% / %.4f%%\n",
                    book->size(), book->mean_candidates(), 100 * equal, 100 * unequal);
    }
}

TEST(Iq3, ExtremeRowsStayFiniteDeterministicAndNoWorseThanZeros) {
    for (TypeId id : kTypes) test::expect_robust(id);
}

TEST(Iq3, ModerateRowsAreAccurate) {
    for (TypeId id : kTypes) test::expect_moderate_rows_accurate(id, 0.12);
}

TEST(Iq3, GoldenInputNoWorseThanGgml) {
    for (TypeId id : kTypes)
        if (!test::expect_golden_input_no_worse_than_ggml(id)) GTEST_SKIP() << "no golden data";
}

// A row made of codebook points: super scale 2^-5, 4-bit scales with the
// widest block at 15, every block holding a top-level magnitude.
std::vector<float> representable_row(const quant::iq3::Codebook& book, bool even_signs,
                                     float (*sub_scale)(float, int)) {
    std::vector<float> x(256);
    const int scales[8] = {15, 3, 9, 0, 12, 7, 15, 5};
    const float d = 0.03125f;
    for (int g = 0; g < 64; ++g) {
        const int ib = g / 8;
        const int p = g % 8 == 0 ? book.size() - 1 : (g * 37 + 11) % book.size();
        for (int i = 0; i < 4; ++i) {
            const int j = 4 * g + i;
            const bool neg = ((j * 13) % 5 == 0) && !(even_signs && j % 8 == 7);
            x[j] = sub_scale(d, scales[ib]) * book.point(p)[i] * (neg ? -1.0f : 1.0f);
        }
    }
    if (even_signs)  // repair parity on the 8th value of each group of 8
        for (int b = 0; b < 32; ++b) {
            int negatives = 0;
            for (int i = 0; i < 7; ++i) negatives += x[8 * b + i] < 0;
            if (negatives % 2) x[8 * b + 7] = -x[8 * b + 7];
        }
    return x;
}

TEST(Iq3, RepresentableRowComesBackExactly) {
    const auto& xxs = quant::iq3::xxs_codebook();
    const auto& s = quant::iq3::s_codebook();
    // The last point of each codebook holds a top-level magnitude.
    ASSERT_EQ(*std::max_element(xxs.point(255).begin(), xxs.point(255).end()), xxs.top_level());
    ASSERT_EQ(*std::max_element(s.point(511).begin(), s.point(511).end()), s.top_level());
    auto xxs_row =
        representable_row(xxs, true, [](float d, int k) { return d * (0.5f + float(k)) * 0.5f; });
    EXPECT_EQ(
        test::round_trip(TypeId::IQ3_XXS, xxs_row, static_cast<int64_t>(xxs_row.size()), nullptr),
        xxs_row);
    auto s_row = representable_row(s, false, [](float d, int k) { return d * float(1 + 2 * k); });
    EXPECT_EQ(test::round_trip(TypeId::IQ3_S, s_row, static_cast<int64_t>(s_row.size()), nullptr),
              s_row);
}

TEST(Iq3, MultiRowWithImportance) {
    // Rows are independent: one call over 4 rows equals 4 calls of one row,
    // and quantizing with the importance lowers the importance-weighted error.
    for (TypeId id : kTypes) test::expect_multi_row_importance(id, /*importance_must_help=*/true);
}
