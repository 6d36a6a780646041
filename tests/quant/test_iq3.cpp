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

std::vector<uint8_t> quantize_rows(TypeId id, const std::vector<float>& x, int64_t rows,
                                   const float* importance = nullptr) {
    const auto& t = quant::type_traits(id);
    const int64_t cols = static_cast<int64_t>(x.size()) / rows;
    std::vector<uint8_t> q(static_cast<size_t>(*quant::row_bytes(t, cols) * rows));
    EXPECT_EQ(quant::quantize(id, x.data(), q.data(), rows, cols, importance), q.size());
    return q;
}

std::vector<float> round_trip(TypeId id, const std::vector<float>& x, int64_t rows = 1,
                              const float* importance = nullptr) {
    auto q = quantize_rows(id, x, rows, importance);
    std::vector<float> y(x.size());
    quant::dequantize(id, q.data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
}

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
    EXPECT_EQ(round_trip(TypeId::IQ3_XXS, xxs_row), xxs_row);
    auto s_row = representable_row(s, false, [](float d, int k) { return d * float(1 + 2 * k); });
    EXPECT_EQ(round_trip(TypeId::IQ3_S, s_row), s_row);
}

TEST(Iq3, MultiRowWithImportance) {
    std::mt19937 rng(11);
    std::student_t_distribution<float> t(3.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const int64_t rows = 4, cols = 512;
    std::vector<float> x(rows * cols), imp(cols);
    for (auto& v : x) v = 0.05f * t(rng);
    for (auto& v : imp) v = u(rng) * u(rng) * 10.0f;
    for (TypeId id : kTypes) {
        const auto name = quant::type_traits(id).name;
        auto all = quantize_rows(id, x, rows, imp.data());
        const size_t row_size = all.size() / rows;
        for (int64_t r = 0; r < rows; ++r) {
            std::vector<float> one(x.begin() + r * cols, x.begin() + (r + 1) * cols);
            auto q = quantize_rows(id, one, 1, imp.data());
            EXPECT_TRUE(std::equal(q.begin(), q.end(), all.begin() + r * row_size)) << name;
        }
        auto weighted = [&](const std::vector<float>& y) {
            double e = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                const double d = double(y[i]) - x[i];
                e += imp[i % cols] * d * d;
            }
            return e;
        };
        EXPECT_LT(weighted(round_trip(id, x, rows, imp.data())), weighted(round_trip(id, x, rows)))
            << name;
    }
}
