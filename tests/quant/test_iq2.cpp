// IQ2_XXS, IQ2_XS, IQ2_S: golden dequantization, error bar against ggml,
// robustness on extreme inputs, determinism and exact round trips.
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

namespace {

const TypeId kTypes[] = {TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S};

std::vector<uint8_t> quantize(TypeId id, const std::vector<float>& x, int64_t rows,
                              const float* importance = nullptr) {
    const auto& t = quant::type_traits(id);
    const int64_t cols = static_cast<int64_t>(x.size()) / rows;
    std::vector<uint8_t> q(static_cast<size_t>(rows * cols / t.block_size * t.type_size));
    const size_t written = quant::quantize(id, x.data(), q.data(), rows, cols, importance);
    EXPECT_EQ(written, q.size()) << t.name;
    return q;
}

std::vector<float> dequantize(TypeId id, const std::vector<uint8_t>& q, size_t n) {
    std::vector<float> y(n);
    quant::dequantize(id, q.data(), y.data(), static_cast<int64_t>(n));
    return y;
}

// sqrt(sum w (y - x)^2 / sum w x^2); weights all 1 when `w` is empty.
double relative_rmse(const std::vector<float>& x, const std::vector<float>& y,
                     const std::vector<float>& w = {}) {
    double num = 0, den = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double wi = w.empty() ? 1.0 : w[i % w.size()];
        num += wi * (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
        den += wi * double(x[i]) * x[i];
    }
    return den > 0 ? std::sqrt(num / den) : (num > 0 ? INFINITY : 0.0);
}

}  // namespace

TEST(Iq2, GoldenDequantXxs) {
    if (!test::expect_golden_dequant(TypeId::IQ2_XXS, true)) GTEST_SKIP() << "no golden data";
    // ggml needs importance for IQ2_XXS: the plain file is checked only if present.
    test::expect_golden_dequant(TypeId::IQ2_XXS, false);
}

TEST(Iq2, GoldenDequantXs) {
    if (!test::expect_golden_dequant(TypeId::IQ2_XS, true)) GTEST_SKIP() << "no golden data";
    test::expect_golden_dequant(TypeId::IQ2_XS, false);  // checked if present
}

TEST(Iq2, GoldenDequantS) {
    if (!test::expect_golden_dequant(TypeId::IQ2_S, false)) GTEST_SKIP() << "no golden data";
    EXPECT_TRUE(test::expect_golden_dequant(TypeId::IQ2_S, true));
}

TEST(Iq2, ErrorBarXxs) {
    test::expect_error_bar(TypeId::IQ2_XXS, 1.10);
}
TEST(Iq2, ErrorBarXs) {
    test::expect_error_bar(TypeId::IQ2_XS, 1.10);
}
TEST(Iq2, ErrorBarS) {
    test::expect_error_bar(TypeId::IQ2_S, 1.10);
}

namespace {

// Rows of 256 that stress the scale handling.
std::vector<std::vector<float>> extreme_rows() {
    std::vector<std::vector<float>> rows;
    rows.push_back(std::vector<float>(256, 0.0f));  // all zeros
    std::vector<float> huge(256, 0.0f);
    huge[77] = 3e38f;
    rows.push_back(huge);                             // a single huge value
    rows.push_back(std::vector<float>(256, 1e-40f));  // subnormal
    std::vector<float> mixed(256);
    for (size_t i = 0; i < mixed.size(); ++i) mixed[i] = i % 2 ? -3e38f : 1e-40f;
    rows.push_back(mixed);  // huge and tiny interleaved
    std::vector<float> negative(256);
    for (size_t i = 0; i < negative.size(); ++i) negative[i] = -0.01f * float(1 + i % 13);
    rows.push_back(negative);                        // negative only
    rows.push_back(std::vector<float>(256, 0.37f));  // constant
    rows.push_back(std::vector<float>(256, -5e4f));  // constant, near the fp16 limit
    std::vector<float> spread(256);
    for (size_t i = 0; i < spread.size(); ++i) spread[i] = std::ldexp(1.0f, int(i % 200) - 100);
    rows.push_back(spread);  // magnitudes 2^-100 .. 2^99
    return rows;
}

}  // namespace

TEST(Iq2, ExtremeInputsStayFiniteAndBeatZeros) {
    for (TypeId id : kTypes) {
        const auto name = quant::type_traits(id).name;
        int row_index = 0;
        for (const auto& row : extreme_rows()) {
            for (bool with_importance : {false, true}) {
                std::vector<float> imp(256);
                for (size_t i = 0; i < imp.size(); ++i) imp[i] = float(i % 7);
                const auto q = quantize(id, row, 1, with_importance ? imp.data() : nullptr);
                const auto y = dequantize(id, q, row.size());
                for (size_t i = 0; i < y.size(); ++i)
                    ASSERT_TRUE(std::isfinite(y[i])) << name << " row " << row_index << " i " << i;
                // The search never does worse than writing zeros (in the error it minimises).
                EXPECT_LE(relative_rmse(row, y, with_importance ? imp : std::vector<float>{}), 1.0)
                    << name << " row " << row_index << " importance " << with_importance;
            }
            ++row_index;
        }
    }
}

TEST(Iq2, ZerosGiveZerosAndRepresentableRowsAreAccurate) {
    for (TypeId id : kTypes) {
        const auto name = quant::type_traits(id).name;
        const std::vector<float> zeros(512, 0.0f);
        for (float v : dequantize(id, quantize(id, zeros, 2), zeros.size())) EXPECT_EQ(v, 0.0f);
        // A constant row is on every grid (the all-8 entry; 256 negatives: even count).
        const std::vector<float> constant(256, -0.37f);
        const auto y = dequantize(id, quantize(id, constant, 1), constant.size());
        EXPECT_LT(relative_rmse(constant, y), 1e-3) << name;
    }
}

TEST(Iq2, QuantizationIsDeterministic) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> x(4 * 512), imp(512);
    for (auto& v : x) v = normal(rng);
    for (auto& v : imp) v = std::fabs(normal(rng)) * 100.0f;
    for (TypeId id : kTypes) {
        EXPECT_EQ(quantize(id, x, 4), quantize(id, x, 4)) << quant::type_traits(id).name;
        EXPECT_EQ(quantize(id, x, 4, imp.data()), quantize(id, x, 4, imp.data()))
            << quant::type_traits(id).name;
    }
}

TEST(Iq2, MultiRowWithImportanceMatchesRowByRowAndHelps) {
    std::mt19937 rng(11);
    std::student_t_distribution<float> heavy(3.0f);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    const int64_t rows = 3, cols = 512;
    std::vector<float> x(rows * cols), imp(cols);
    for (auto& v : x) v = 0.1f * heavy(rng);
    for (auto& v : imp) v = uniform(rng) * uniform(rng) * 10.0f;
    for (TypeId id : kTypes) {
        const auto name = quant::type_traits(id).name;
        const auto all = quantize(id, x, rows, imp.data());
        const size_t row_bytes = all.size() / rows;
        for (int64_t r = 0; r < rows; ++r) {
            std::vector<float> row(x.begin() + r * cols, x.begin() + (r + 1) * cols);
            const auto one = quantize(id, row, 1, imp.data());
            EXPECT_TRUE(std::equal(one.begin(), one.end(), all.begin() + r * row_bytes))
                << name << " row " << r;
        }
        // Searching with the importance must lower the importance-weighted error.
        const auto with = dequantize(id, all, x.size());
        const auto without = dequantize(id, quantize(id, x, rows), x.size());
        EXPECT_LT(relative_rmse(x, with, imp), relative_rmse(x, without, imp)) << name;
    }
}

namespace {

// Random valid blocks of `id` (the sign count of a group is even for the
// 7-sign-bit formats by construction of the format): scale codes random, with
// code 15 in the first sub-block so the block's largest scale sets d.
std::vector<uint8_t> random_blocks(TypeId id, int n_blocks, std::mt19937& rng) {
    const auto& t = quant::type_traits(id);
    std::vector<uint8_t> q(static_cast<size_t>(n_blocks * t.type_size));
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& b : q) b = static_cast<uint8_t>(byte(rng));
    for (int b = 0; b < n_blocks; ++b) {
        uint8_t* block = q.data() + b * t.type_size;
        quant::store_u16(block, quant::f32_to_fp16(0.001f * float(1 + byte(rng))));
        if (id == TypeId::IQ2_XXS) {
            block[2 + 7] |= 0xf0;  // code 15 in the top nibble of sub-block 0's u32
        } else {
            block[t.type_size - 8] |= 0x0f;  // first code byte, low nibble
        }
    }
    return q;
}

}  // namespace

TEST(Iq2, RepresentableBlocksRoundTripExactly) {
    std::mt19937 rng(3);
    for (TypeId id : kTypes) {
        const auto q = random_blocks(id, 6, rng);
        const auto x = dequantize(id, q, 6 * 256);
        const auto y = dequantize(id, quantize(id, x, 2), x.size());
        int differing = 0;
        for (size_t i = 0; i < x.size(); ++i) differing += x[i] != y[i];
        EXPECT_EQ(differing, 0) << quant::type_traits(id).name;
    }
}

TEST(Iq2, ConcurrentQuantizationMatchesSerial) {
    // The codebook lookups are built lazily on first use: two threads racing
    // to build them must get the same bytes as a serial call.
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(2 * 256);
    for (auto& v : x) v = normal(rng);
    for (TypeId id : kTypes) {
        std::vector<uint8_t> a, b;
        std::thread ta([&] { a = quantize(id, x, 2); });
        std::thread tb([&] { b = quantize(id, x, 2); });
        ta.join();
        tb.join();
        EXPECT_EQ(a, b) << quant::type_traits(id).name;
        EXPECT_EQ(a, quantize(id, x, 2)) << quant::type_traits(id).name;
    }
}
