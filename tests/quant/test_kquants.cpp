// K-quants (Q2_K ... Q6_K) and Q8_K: bit-exact dequantization against ggml's
// golden output, quantization error against ggml's on the quant-error set,
// robustness on extreme rows, determinism, exact round trips of representable
// rows, and multi-row calls with importance.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "format_checks.hpp"
#include "harness.hpp"
#include "quant/half.hpp"

using namespace ql;
using quant::TypeId;

namespace {

constexpr TypeId kKQuants[] = {TypeId::Q2_K, TypeId::Q3_K, TypeId::Q4_K, TypeId::Q5_K,
                               TypeId::Q6_K};

// The bar of issue 2 (ratio to ggml's mean relative RMSE).
constexpr double kErrorBar = 1.005;

// Dequantizes golden bytes with the scalar reference (the registry may pick a
// SIMD version instead) and counts values whose bits differ from ggml's.
int64_t reference_mismatches(TypeId id, bool with_importance) {
    const auto& t = quant::type_traits(id);
    const std::string base = test::shared_dir() + "/golden/quant/" + test::golden_name(t) +
                             (with_importance ? ".imp" : "");
    if (!test::file_exists(base + ".q")) return -1;
    const auto q = test::read_bytes(base + ".q");
    const auto expected = test::read_f32(base + ".deq.f32");
    std::vector<float> got(expected.size());
    t.dequantize(q.data(), got.data(), static_cast<int64_t>(got.size()));
    int64_t mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i)
        mismatches += std::memcmp(&got[i], &expected[i], 4) != 0 ? 1 : 0;
    return mismatches;
}

// A row that the format represents exactly: in every sub-block the scale is
// the largest integer scale at super-scale `d`, the levels are random but
// include both ends of the level range, and (if `offset` != 0) every value is
// lowered by `offset` (a min of dmin * min_int, exact in float).
std::vector<float> representable_row(int n, int sub_size, int q_lo, int q_hi, float d_times_scale,
                                     float offset, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> level(q_lo, q_hi);
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) {
        int q = level(rng);
        if (i % sub_size == 0) q = q_lo;
        if (i % sub_size == 1) q = q_hi;
        x[i] = d_times_scale * static_cast<float>(q) - offset;
    }
    return x;
}

void expect_exact_round_trip(TypeId id, const std::vector<float>& x, const char* what) {
    const auto w = test::random_importance(static_cast<int>(x.size()), 9);
    for (const float* imp : {static_cast<const float*>(nullptr), w.data()}) {
        const auto y = test::round_trip(id, x, static_cast<int64_t>(x.size()), imp);
        int64_t differing = 0;
        for (size_t i = 0; i < x.size(); ++i) differing += x[i] != y[i] ? 1 : 0;
        EXPECT_EQ(differing, 0) << quant::type_traits(id).name << " " << what
                                << (imp ? " (importance)" : "");
    }
}

}  // namespace

TEST(KQuants, GoldenDequant) {
    for (TypeId id : kKQuants) {
        if (!test::expect_golden_dequant(id, false)) GTEST_SKIP() << "no golden data";
        test::expect_golden_dequant(id, true);
    }
}

TEST(KQuants, ReferenceDequantIsBitExact) {
    for (TypeId id : kKQuants) {
        for (bool imp : {false, true}) {
            const int64_t mismatches = reference_mismatches(id, imp);
            if (mismatches < 0) GTEST_SKIP() << "no golden data";
            EXPECT_EQ(mismatches, 0) << quant::type_traits(id).name << (imp ? " imp" : "");
        }
    }
}

TEST(KQuants, ErrorBarQ2K) {
    test::expect_error_bar(TypeId::Q2_K, kErrorBar);
}
TEST(KQuants, ErrorBarQ3K) {
    test::expect_error_bar(TypeId::Q3_K, kErrorBar);
}
TEST(KQuants, ErrorBarQ4K) {
    test::expect_error_bar(TypeId::Q4_K, kErrorBar);
}
TEST(KQuants, ErrorBarQ5K) {
    test::expect_error_bar(TypeId::Q5_K, kErrorBar);
}
TEST(KQuants, ErrorBarQ6K) {
    test::expect_error_bar(TypeId::Q6_K, kErrorBar);
}

TEST(KQuants, ExtremeRowsStayFiniteDeterministicAndNoWorseThanZeros) {
    for (TypeId id : kKQuants) test::expect_robust(id);
    test::expect_robust(TypeId::Q8_K);
}

TEST(KQuants, MultiRowWithImportance) {
    for (TypeId id : kKQuants) test::expect_multi_row_importance(id);
}

TEST(KQuants, RepresentableRowsComeBackExactly) {
    const int n = 512;
    // {type, sub-block size, level range, d * scale, offset}
    expect_exact_round_trip(TypeId::Q2_K, representable_row(n, 16, 0, 3, 15 * 0x1p-4f, 0, 1),
                            "no offset");
    expect_exact_round_trip(
        TypeId::Q2_K, representable_row(n, 16, 0, 3, 15 * 0x1p-4f, 15 * 0x1p-6f, 2), "offset");
    expect_exact_round_trip(TypeId::Q3_K, representable_row(n, 16, -4, 3, 31 * 0x1p-7f, 0, 3),
                            "symmetric");
    expect_exact_round_trip(TypeId::Q4_K, representable_row(n, 32, 0, 15, 63 * 0x1p-10f, 0, 4),
                            "no offset");
    expect_exact_round_trip(
        TypeId::Q4_K, representable_row(n, 32, 0, 15, 63 * 0x1p-10f, 63 * 0x1p-8f, 5), "offset");
    expect_exact_round_trip(TypeId::Q5_K, representable_row(n, 32, 0, 31, 63 * 0x1p-12f, 0, 6),
                            "no offset");
    expect_exact_round_trip(TypeId::Q6_K, representable_row(n, 16, -32, 31, 127 * 0x1p-12f, 0, 7),
                            "symmetric");
}

TEST(KQuants, ImportanceLowersWeightedError) {
    // On the golden 8-row input, the importance-aware quantization must have a
    // lower importance-weighted error than the plain one, for every type.
    const std::string dir = test::shared_dir() + "/golden/quant/";
    if (!test::file_exists(dir + "input.f32")) GTEST_SKIP() << "no golden data";
    const auto x = test::read_f32(dir + "input.f32");
    const auto imp = test::read_f32(dir + "importance.f32");
    const int64_t cols = static_cast<int64_t>(imp.size());
    std::vector<float> w(x.size());
    for (size_t i = 0; i < x.size(); ++i) w[i] = imp[i % cols];
    for (TypeId id : kKQuants) {
        const auto y_imp = test::round_trip(id, x, cols, imp.data());
        const auto y_plain = test::round_trip(id, x, cols, nullptr);
        EXPECT_LT(test::weighted_error(x, y_imp, w.data()),
                  test::weighted_error(x, y_plain, w.data()))
            << quant::type_traits(id).name;
    }
}

TEST(KQuants, ZeroImportanceColumnsAreHandled) {
    // Whole sub-blocks and scattered columns with zero importance: the output
    // stays finite, deterministic and no worse than zeros under the weights.
    const int n = 512;
    std::mt19937 rng(17);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    std::vector<float> x(n), imp(n);
    for (int i = 0; i < n; ++i) {
        x[i] = normal(rng);
        imp[i] = (i < 300 || i % 7 == 0) ? 0.0f : 1.0f + static_cast<float>(i % 5);
    }
    const std::vector<float> zeros(n, 0.0f);
    for (TypeId id : kKQuants) {
        std::vector<uint8_t> first, second;
        const auto y = test::round_trip(id, x, n, imp.data(), &first);
        test::round_trip(id, x, n, imp.data(), &second);
        EXPECT_EQ(first, second) << quant::type_traits(id).name;
        EXPECT_TRUE(std::all_of(y.begin(), y.end(), [](float v) { return std::isfinite(v); }));
        EXPECT_LT(test::weighted_error(x, y, imp.data()),
                  0.5 * test::weighted_error(x, zeros, imp.data()))
            << quant::type_traits(id).name;
    }
}

// ---- Q8_K

TEST(Q8K, RoundTripWithinHalfStepAndBsums) {
    const int n = 1024;
    std::mt19937 rng(21);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> x(n);
    for (auto& v : x) v = normal(rng);
    x[300] = 25.0f;  // the positive extreme of block 1 (values 256..511)
    std::vector<uint8_t> q;
    const auto y = test::round_trip(TypeId::Q8_K, x, n, nullptr, &q);
    ASSERT_EQ(q.size(), 4u * 292);
    for (int blk = 0; blk < 4; ++blk) {
        const uint8_t* b = q.data() + blk * 292;
        const float d = quant::load_f32(b);
        const auto* qs = reinterpret_cast<const int8_t*>(b + 4);
        float amax = 0, max = 0;
        for (int i = 0; i < 256; ++i)
            if (std::fabs(x[blk * 256 + i]) > amax)
                amax = std::fabs(x[blk * 256 + i]), max = x[blk * 256 + i];
        EXPECT_FLOAT_EQ(d, -max / 127) << "block " << blk;  // sign-preserving scale
        for (int i = 0; i < 256; ++i) {
            EXPECT_LE(std::fabs(y[blk * 256 + i] - x[blk * 256 + i]),
                      std::fabs(d) * 0.5f * 1.0001f);
            EXPECT_GE(qs[i], -127);
            EXPECT_EQ(y[blk * 256 + i], d * static_cast<float>(qs[i]));
        }
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int i = 0; i < 16; ++i) sum += qs[g * 16 + i];
            EXPECT_EQ(static_cast<int16_t>(quant::load_u16(b + 260 + 2 * g)), sum)
                << "block " << blk << " group " << g;
        }
    }
    EXPECT_EQ(reinterpret_cast<const int8_t*>(q.data() + 292 + 4)[300 - 256], -127);
}

TEST(Q8K, IntegerRowIsExact) {
    // Integers in [-127, 127] with 127 present: d = -1, every value exact.
    std::vector<float> x(256);
    for (int i = 0; i < 256; ++i) x[i] = static_cast<float>((i * 37) % 255 - 127);
    x[5] = 127;
    const auto y = test::round_trip(TypeId::Q8_K, x, 256, nullptr);
    EXPECT_EQ(x, y);
}
